import type { WireFormat } from '../plan';
import type { ProviderId } from '../types';
import { anthropic } from './anthropic';
import { google } from './google';
import { openaiChat, openaiCompatible } from './openai-chat';
import { openaiResponses } from './openai-responses';

export const FORMATS: Record<ProviderId, WireFormat> = {
  'openai-responses': openaiResponses,
  'openai-chat': openaiChat,
  anthropic,
  google,
  'openai-compatible': openaiCompatible,
};

/** The path prefix each provider's SDK baseURL needs (appended to the server URL). */
export const BASE_PATHS: Record<ProviderId, string> = {
  'openai-responses': '/v1',
  'openai-chat': '/v1',
  anthropic: '/v1',
  google: '/v1beta',
  'openai-compatible': '/compat/v1',
};

/** Which wire a `POST` to this path (without query) speaks. */
export function formatForPath(pathname: string): WireFormat | undefined {
  switch (pathname) {
    case '/v1/responses':
      return openaiResponses;
    case '/v1/chat/completions':
      return openaiChat;
    case '/v1/messages':
      return anthropic;
    case '/compat/v1/chat/completions':
      return openaiCompatible;
    default:
      return /^\/v1beta\/models\/[^/]+:(stream)?[gG]enerateContent$/.test(pathname) ? google : undefined;
  }
}
