/** Model clients through the Vercel AI SDK, one per provider kind. No hand-written HTTP. */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ProviderKind } from '../usage/providers';

/** The environment variable the CLI reads each provider's key from. */
export const API_KEY_ENV: Record<ProviderKind, string> = {
  openai: 'OPENAI_API_KEY',
  'openai-chat': 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
  'openai-compatible': 'TALLY_API_KEY',
};

export interface ProviderConfig {
  kind: ProviderKind;
  model: string;
  apiKey: string | undefined;
  baseURL?: string;
  /** For tests: the fetch the SDK uses. */
  fetch?: typeof fetch;
}

export class ProviderConfigError extends Error {
  override readonly name = 'ProviderConfigError';
}

export function createModel(cfg: ProviderConfig): LanguageModel {
  const baseURL = cfg.baseURL?.replace(/\/+$/, '');
  const needsKey = cfg.kind !== 'openai-compatible';
  if (needsKey && !cfg.apiKey) {
    throw new ProviderConfigError(
      `no API key for ${cfg.kind}: set ${API_KEY_ENV[cfg.kind]} (CLI) or run "Tally: Set API Key" (editor)`,
    );
  }
  const common = {
    apiKey: cfg.apiKey ?? '',
    ...(baseURL ? { baseURL } : {}),
    ...(cfg.fetch ? { fetch: cfg.fetch } : {}),
  };
  switch (cfg.kind) {
    case 'openai':
      return createOpenAI(common).responses(cfg.model);
    case 'openai-chat':
      return createOpenAI(common).chat(cfg.model);
    case 'anthropic':
      return createAnthropic(common)(cfg.model);
    case 'google':
      return createGoogleGenerativeAI(common)(cfg.model);
    case 'openai-compatible': {
      if (!baseURL)
        throw new ProviderConfigError('openai-compatible needs a base URL (--base-url or the setting)');
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL,
        ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}),
        includeUsage: true,
        ...(cfg.fetch ? { fetch: cfg.fetch } : {}),
      })(cfg.model);
    }
  }
}
