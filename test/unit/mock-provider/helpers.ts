/** Shared setup for the mock-provider tests: one server per suite and the five real SDK clients. */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  type LanguageModel,
  type LanguageModelUsage,
  type StepResult,
  stepCountIs,
  streamText,
  type ToolSet,
  tool,
} from 'ai';
import { z } from 'zod';
import { type MockProvider, type ProviderId, startMockProvider } from '../../../src/mock-provider';

export const MODEL_IDS: Record<ProviderId, string> = {
  'openai-responses': 'gpt-5-mini',
  'openai-chat': 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  'openai-compatible': 'llama3.1',
};

export function modelFor(server: MockProvider, provider: ProviderId): LanguageModel {
  const base = server.baseURLs[provider];
  switch (provider) {
    case 'openai-responses':
      return createOpenAI({ baseURL: base, apiKey: 'sk-mock' }).responses(MODEL_IDS[provider]);
    case 'openai-chat':
      return createOpenAI({ baseURL: base, apiKey: 'sk-mock' }).chat(MODEL_IDS[provider]);
    case 'anthropic':
      return createAnthropic({ baseURL: base, apiKey: 'sk-ant-mock' })(MODEL_IDS[provider]);
    case 'google':
      return createGoogleGenerativeAI({ baseURL: base, apiKey: 'mock' })(MODEL_IDS[provider]);
    case 'openai-compatible':
      return createOpenAICompatible({ name: 'compat', baseURL: base, apiKey: 'mock', includeUsage: true })(
        MODEL_IDS[provider],
      );
  }
}

/** Starts one server for the enclosing `describe`, resets it before each test. */
export function useMockServer(): { readonly server: MockProvider } {
  const holder: { server?: MockProvider } = {};
  before(async () => {
    holder.server = await startMockProvider();
  });
  beforeEach(() => holder.server?.reset());
  after(async () => {
    await holder.server?.close();
  });
  return {
    get server(): MockProvider {
      if (!holder.server) throw new Error('server not started');
      return holder.server;
    },
  };
}

export const listFilesTool = tool({
  description: 'List the files in a folder of the workspace',
  inputSchema: z.object({ path: z.string() }),
  execute: async ({ path }) => `README.md src/ package.json (in ${path})`,
});

export interface RunResult {
  steps: StepResult<ToolSet>[];
  errors: unknown[];
  text: string;
  rawChunks: unknown[];
  aborted: boolean;
}

/** Stream one prompt to the end and collect what the SDK reported along the way. */
export async function run(
  model: LanguageModel,
  options: {
    prompt?: string;
    tools?: ToolSet;
    maxSteps?: number;
    maxRetries?: number;
    includeRawChunks?: boolean;
  } = {},
): Promise<RunResult> {
  const steps: StepResult<ToolSet>[] = [];
  const errors: unknown[] = [];
  const rawChunks: unknown[] = [];
  let text = '';
  let aborted = false;
  const result = streamText({
    model,
    prompt: options.prompt ?? 'hello',
    tools: options.tools,
    stopWhen: stepCountIs(options.maxSteps ?? 1),
    maxRetries: options.maxRetries ?? 0,
    includeRawChunks: options.includeRawChunks ?? false,
    onStepFinish: (step) => {
      steps.push(step);
    },
    onError: ({ error }) => {
      errors.push(error);
    },
    onAbort: () => {
      aborted = true;
    },
  });
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') text += part.text;
    if (part.type === 'raw') rawChunks.push(part.rawValue);
  }
  return { steps, errors, text, rawChunks, aborted };
}

/** The usage fields the SDK exposes, without the deprecated aliases, for exact comparisons. */
export function usageView(u: LanguageModelUsage): Record<string, unknown> {
  return {
    inputTokens: u.inputTokens,
    inputTokenDetails: { ...u.inputTokenDetails },
    outputTokens: u.outputTokens,
    outputTokenDetails: { ...u.outputTokenDetails },
    totalTokens: u.totalTokens,
    raw: u.raw,
  };
}
