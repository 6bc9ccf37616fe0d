/**
 * Money without float drift. Amounts are integer pico-dollars (1e-12 USD) held as bigint:
 * a price of $0.0375 per million tokens is 37,500 pico-dollars per token, so every catalog
 * price with up to six decimals per million tokens is exact, and sums never drift.
 *
 * Persisted as a decimal string of pico-dollars (`"12300000000"`); shown as USD.
 */
export type Pico = bigint;

export const PICO_PER_USD = 1_000_000_000_000n;

/** Price per million tokens (USD) → exact pico-dollars per token. Rejects non-finite or negative. */
export function perMTokToPicoPerToken(usdPerMTok: number): Pico {
  if (!Number.isFinite(usdPerMTok) || usdPerMTok < 0) throw new RangeError(`bad price ${usdPerMTok}`);
  return BigInt(Math.round(usdPerMTok * 1_000_000));
}

/** A USD amount given as a float (a provider-reported or legacy cost) → pico-dollars. */
export function usdToPico(usd: number): Pico {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`bad amount ${usd}`);
  // Go through the decimal string so 0.0123 becomes exactly 12,300,000,000 pico.
  return decimalToPico(usd.toFixed(12));
}

export function decimalToPico(decimal: string): Pico {
  const m = /^(\d+)(?:\.(\d{0,12})\d*)?$/.exec(decimal.trim());
  if (!m) throw new RangeError(`bad decimal ${decimal}`);
  const whole = BigInt(m[1]!);
  const frac = BigInt((m[2] ?? '').padEnd(12, '0'));
  return whole * PICO_PER_USD + frac;
}

/** Exact decimal string of USD, trailing zeros trimmed (at least 2 decimals). */
export function picoToDecimal(pico: Pico): string {
  const neg = pico < 0n;
  const abs = neg ? -pico : pico;
  const whole = abs / PICO_PER_USD;
  let frac = (abs % PICO_PER_USD).toString().padStart(12, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** USD as a JS number for JSON output (the nearest double to the exact decimal). */
export function picoToUsd(pico: Pico): number {
  return Number(picoToDecimal(pico));
}

/** Sum of costs where any unknown (null) makes the sum partially unknown; see `CostSum`. */
export interface CostSum {
  /** Sum of the known costs. */
  knownPico: Pico;
  /** How many parts had no known price. */
  unknownCount: number;
}

export function addCost(sum: CostSum, part: Pico | null): CostSum {
  return part === null
    ? { knownPico: sum.knownPico, unknownCount: sum.unknownCount + 1 }
    : { knownPico: sum.knownPico + part, unknownCount: sum.unknownCount };
}

export const ZERO_COST: Readonly<CostSum> = Object.freeze({ knownPico: 0n, unknownCount: 0 });

/** Human rendering: `$0.27`, `$0.0042` (small amounts keep 2 significant digits), `unknown`. */
export function formatUsd(pico: Pico | null): string {
  if (pico === null) return 'unknown';
  const usd = picoToUsd(pico);
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(2)}`;
}
