/**
 * The provider wire formats Tally normalizes. A kind names a wire format, not a company:
 * `openai` is the Responses API, `openai-chat` the Chat Completions API, and
 * `openai-compatible` any other server speaking (roughly) the Chat Completions shape
 * (Ollama, LM Studio, vLLM, OpenRouter, …).
 */
export const PROVIDER_KINDS = ['openai', 'openai-chat', 'anthropic', 'google', 'openai-compatible'] as const;

/** One of `PROVIDER_KINDS`. */
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Narrows a string (a setting, a log field, a CLI flag) to a provider kind. */
export function isProviderKind(value: unknown): value is ProviderKind {
  return (PROVIDER_KINDS as readonly unknown[]).includes(value);
}
