/** OpenAI's error bodies (Responses, Chat Completions and most compatible servers use them). */
import type { HttpError } from '../plan';
import { retryAfterHeader } from './common';

interface OpenAIErrorShape {
  type: string;
  code: string | null;
  message: (model: string) => string;
}

const OPENAI_ERRORS: Record<number, OpenAIErrorShape> = {
  400: { type: 'invalid_request_error', code: null, message: () => 'Invalid request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: () =>
      'Incorrect API key provided: sk-mock. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: {
    type: 'invalid_request_error',
    code: 'unsupported_country_region_territory',
    message: () => 'Country, region, or territory not supported',
  },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: (model) => `The model \`${model}\` does not exist or you do not have access to it.`,
  },
  429: {
    type: 'tokens',
    code: 'rate_limit_exceeded',
    message: (model) =>
      `Rate limit reached for ${model} in organization org-mock on tokens per min (TPM): Limit 30000, Used 30000, Requested 120. Please try again in 1s.`,
  },
  500: {
    type: 'server_error',
    code: null,
    message: () => 'The server had an error while processing your request. Sorry about that!',
  },
  503: {
    type: 'server_error',
    code: null,
    message: () => 'The engine is currently overloaded, please try again later.',
  },
};

export function openaiHttpError(
  status: number,
  opts: { message?: string; retryAfter?: number | string; model: string },
): HttpError {
  const shape = OPENAI_ERRORS[status] ?? OPENAI_ERRORS[status >= 500 ? 500 : 400]!;
  const headers: Record<string, string> = {
    'x-request-id': 'req_mock',
    ...retryAfterHeader(opts.retryAfter),
  };
  if (status === 429) {
    headers['x-ratelimit-limit-tokens'] = '30000';
    headers['x-ratelimit-remaining-tokens'] = '0';
    headers['x-ratelimit-reset-tokens'] = `${opts.retryAfter ?? 1}s`;
  }
  return {
    status,
    headers,
    body: {
      error: {
        message: opts.message ?? shape.message(opts.model),
        type: shape.type,
        param: null,
        code: shape.code,
      },
    },
  };
}
