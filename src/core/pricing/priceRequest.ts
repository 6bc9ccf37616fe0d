/**
 * The cost of one request (DESIGN.md, "Derived numbers"), in exact pico-dollars:
 *
 *   noCache × input + cacheRead × cache-read + (cacheWrite − 1h) × cache-write
 *     + cacheWrite1h × 1-hour cache-write + output × output        (reasoning is output)
 *
 * A tier is a per-request switch: once the request's whole prompt (cache included) is above a
 * tier's start, every token of the request bills at that tier's prices. The prices applied are
 * stored with the cost, so later catalog changes never rewrite history.
 *
 * Where the catalog lists no price for a kind of token, its meaning is genai-prices' own: those
 * tokens are a kind of input, billed at the input price (no cache-read discount, no cache-write
 * premium); a 1-hour write without its own price costs what a cache write costs — except on
 * Anthropic, whose 1-hour writes are documented at 2× the input price.
 */
import { type Pico, usdToPico } from '../money';
import type { AppliedPrice, Cost } from '../sessions/events';
import type { ProviderKind } from '../usage/providers';
import type { Usage } from '../usage/types';
import type { LookupOptions, ModelPrices, PriceCatalog, TieredPrice } from './catalog';

/** What is known about a request beyond its usage. */
export interface PriceOptions extends LookupOptions {
  /** The charged cost in USD as reported by the provider (OpenRouter); it wins over any computed price. */
  reportedCostUsd?: number;
}

/** Per-token prices in force for one request, in pico-dollars. */
export interface AppliedPico {
  input: Pico;
  cacheRead: Pico;
  cacheWrite: Pico;
  cacheWrite1h: Pico;
  output: Pico;
  /** The highest tier start the prompt passed, if any. */
  tierStart?: number;
}

/** An unknown price: shown as unknown, never as $0. */
const UNKNOWN: Cost = { pico: null, basis: 'unknown' };

/**
 * The cost record of one request: reported by the provider where it did (basis `reported`),
 * else computed from the catalog or an override (basis `computed`), else unknown (pico null).
 */
export function priceRequest(
  usage: Usage,
  model: string,
  provider: ProviderKind,
  catalog: PriceCatalog,
  options: PriceOptions = {},
): Cost {
  const reported = options.reportedCostUsd ?? Number.NaN; // absent, NaN, ±Infinity, negative: not a cost
  if (Number.isFinite(reported) && reported >= 0) {
    return { pico: usdToPico(reported).toString(), basis: 'reported' };
  }
  const priced = catalog.modelPrices(model, provider, options);
  if (!priced) return { ...UNKNOWN, catalog: catalog.label };
  const prompt = promptTokens(usage);
  const applied = appliedPrices(priced.prices, prompt, priced.anthropic);
  return {
    pico: costOf(usage, applied).toString(),
    basis: 'computed',
    catalog: priced.catalog,
    price: appliedPriceRecord(applied),
  };
}

/** The whole prompt of a request, cache included: what decides its tier. */
export function promptTokens(usage: Usage): number {
  const d = usage.inputTokenDetails;
  return d.noCacheTokens + d.cacheReadTokens + d.cacheWriteTokens;
}

/** The per-token prices for a request with `prompt` prompt tokens, fallbacks resolved. */
export function appliedPrices(prices: ModelPrices, prompt: number, anthropic: boolean): AppliedPico {
  let tierStart: number | undefined;
  const at = (p: TieredPrice): Pico => {
    let price = p.base;
    for (const tier of p.tiers) {
      if (prompt > tier.start) {
        price = tier.price;
        tierStart = Math.max(tierStart ?? 0, tier.start);
      }
    }
    return price;
  };
  const input = at(prices.input);
  const cacheWrite = prices.cacheWrite ? at(prices.cacheWrite) : input;
  let cacheWrite1h: Pico;
  if (prices.cacheWrite1h) cacheWrite1h = at(prices.cacheWrite1h);
  else cacheWrite1h = anthropic ? 2n * input : cacheWrite;
  const applied: AppliedPico = {
    input,
    cacheRead: prices.cacheRead ? at(prices.cacheRead) : input,
    cacheWrite,
    cacheWrite1h,
    output: at(prices.output),
  };
  if (tierStart !== undefined) applied.tierStart = tierStart;
  return applied;
}

/** The exact cost of a usage record at the given per-token prices. */
export function costOf(usage: Usage, price: AppliedPico): Pico {
  const d = usage.inputTokenDetails;
  const write1h = BigInt(Math.min(d.cacheWrite1hTokens ?? 0, d.cacheWriteTokens));
  const write5m = BigInt(d.cacheWriteTokens) - write1h;
  return (
    BigInt(d.noCacheTokens) * price.input +
    BigInt(d.cacheReadTokens) * price.cacheRead +
    write5m * price.cacheWrite +
    write1h * price.cacheWrite1h +
    BigInt(usage.outputTokens) * price.output
  );
}

function appliedPriceRecord(p: AppliedPico): AppliedPrice {
  const record: AppliedPrice = {
    input: p.input.toString(),
    cacheRead: p.cacheRead.toString(),
    cacheWrite: p.cacheWrite.toString(),
    cacheWrite1h: p.cacheWrite1h.toString(),
    output: p.output.toString(),
  };
  if (p.tierStart !== undefined) record.tierStart = p.tierStart;
  return record;
}

/** A model's context window in tokens, or null when neither an override nor the catalog knows it. */
export function contextLimit(
  model: string,
  provider: ProviderKind,
  catalog: PriceCatalog,
  options: LookupOptions = {},
): number | null {
  return catalog.contextLimit(model, provider, options);
}
