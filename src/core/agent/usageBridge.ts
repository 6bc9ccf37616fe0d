/**
 * Follows one request's usage while it streams: the provider's raw usage updates (snapshots, the
 * latest wins), the output streamed so far, and the prompt for a local estimate. It answers two
 * questions: what can be saved early (the input side, as soon as the provider states it), and
 * what the request's usage is when it ends (completed, stopped or failed).
 */
import type { ModelMessage, Tool } from 'ai';
import { estimateUsage } from '../usage/estimate';
import { fromRawUsage, fromSdkUsage, type NormalizedUsage, type SdkStepUsage } from '../usage/normalize';
import type { ProviderKind } from '../usage/providers';
import { mergeUsageSnapshot, type RawUsageSnapshot, usageInStreamEvent } from '../usage/snapshots';

export interface KnownUsage {
  usage: NormalizedUsage['usage'];
  reportedCostUsd?: number;
}

/** Wire formats whose first usage update comes before the output (input known early). */
const EARLY_INPUT: ReadonlySet<ProviderKind> = new Set(['anthropic', 'google']);

export class RequestUsageTracker {
  private raw: RawUsageSnapshot | undefined;
  private output = '';
  readonly problems: string[] = [];

  constructor(
    private readonly provider: ProviderKind,
    private readonly system: string,
    private readonly messages: readonly ModelMessage[],
    private readonly tools: Record<string, Tool>,
  ) {}

  /** A raw stream chunk; true when it carried usage. */
  onRaw(chunk: unknown): boolean {
    const part = usageInStreamEvent(this.provider, chunk);
    if (!part) return false;
    this.raw = mergeUsageSnapshot(this.raw, part);
    return true;
  }

  onOutput(text: string): void {
    this.output += text;
  }

  /** True once the provider has sent anything of this request: usage or output. */
  get answered(): boolean {
    return this.raw !== undefined || this.output.length > 0;
  }

  /**
   * The usage of a request the provider refused before answering (an HTTP error, a connection
   * never made): zero tokens. Not an estimate of the prompt: nothing was processed or billed.
   */
  refusedUsage(): KnownUsage {
    return { usage: estimateUsage({ promptTokens: 0 }) };
  }

  /** The usage to save before the request ends, where the provider has stated its input. */
  earlyUsage(): KnownUsage | null {
    if (!EARLY_INPUT.has(this.provider) || !this.raw) return null;
    const r = fromRawUsage(this.provider, this.raw);
    if (!r.ok) {
      this.problems.push(r.reason);
      return null;
    }
    return pick(r);
  }

  /**
   * The request's usage at its end. `stepUsage` is the SDK's (present when the step finished):
   * provider-reported, that wins. Otherwise (stopped, failed, or a server that sends no usage):
   * the provider's input split where it came, plus the output counted locally: `estimated`.
   */
  finalUsage(stepUsage: SdkStepUsage | undefined): KnownUsage {
    if (stepUsage && (stepUsage.inputTokens !== undefined || stepUsage.outputTokens !== undefined)) {
      const r = fromSdkUsage(stepUsage, this.provider);
      if (r.ok) return pick(r);
      this.problems.push(r.reason);
    }
    let inputTokenDetails: NormalizedUsage['usage']['inputTokenDetails'] | undefined;
    if (this.raw) {
      const r = fromRawUsage(this.provider, this.raw);
      if (r.ok) {
        // Where the stream had ended normally, the raw usage is the provider's whole answer.
        if (stepUsage && r.usage.outputTokens > 0) return pick(r);
        if (r.usage.inputTokens > 0) inputTokenDetails = r.usage.inputTokenDetails;
      } else this.problems.push(r.reason);
    }
    const usage = estimateUsage({
      ...(inputTokenDetails ? { inputTokenDetails } : { promptText: this.promptText() }),
      outputText: this.output,
    });
    return { usage };
  }

  private promptText(): string {
    const tools = Object.entries(this.tools).map(([name, t]) => ({ name, description: t.description }));
    return `${this.system}\n${JSON.stringify(this.messages)}\n${JSON.stringify(tools)}`;
  }
}

function pick(r: NormalizedUsage): KnownUsage {
  return r.reportedCostUsd === undefined
    ? { usage: r.usage }
    : { usage: r.usage, reportedCostUsd: r.reportedCostUsd };
}
