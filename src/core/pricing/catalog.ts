/**
 * The price catalog: `@pydantic/genai-prices` (bundled data, no network) for LOOKING UP a model's
 * prices and context window, with the user's overrides on top. Tally computes costs itself
 * (`priceRequest.ts`); the catalog only says what a token costs. Never a hand-kept price table.
 *
 * The library (data included, ~65 ms to load) is required on the first lookup, not at import.
 * Nothing here fetches: `refreshCatalog()` is the only way to new data, and only on the user's request.
 */
import type * as GenaiPrices from '@pydantic/genai-prices';
import genaiPricesPackage from '../../../node_modules/@pydantic/genai-prices/package.json';
import { type Pico, perMTokToPicoPerToken } from '../money';
import type { ProviderKind } from '../usage/providers';
import { type ModelOverride, NO_OVERRIDES, type PriceOverrides } from './overrides';

/** The label stored with costs computed from the bundled catalog data. */
export const BUNDLED_CATALOG = `genai-prices@${genaiPricesPackage.version}`;

/** A per-token price in pico-dollars, possibly tiered by the request's prompt size. */
export interface TieredPrice {
  base: Pico;
  /** Sorted by `start`; a tier applies once the whole prompt is ABOVE `start` tokens. */
  tiers: readonly { start: number; price: Pico }[];
}

/** A model's token prices in pico-dollars per token. Absent cache prices fall back (see priceRequest.ts). */
export interface ModelPrices {
  input: TieredPrice;
  output: TieredPrice;
  cacheRead?: TieredPrice;
  cacheWrite?: TieredPrice;
  cacheWrite1h?: TieredPrice;
}

/** A model's prices and where they came from. */
export interface PricedModel {
  /** `genai-prices@<version>` or `override`. */
  catalog: string;
  /** The catalog entry that matched (absent for overrides). */
  match?: { providerId: string; modelId: string };
  /** Whether the model is billed by Anthropic's rules (1-hour cache writes at 2× input). */
  anthropic: boolean;
  prices: ModelPrices;
}

/** Where a request went, beyond its provider kind (helps find an OpenAI-compatible server's prices). */
export interface LookupOptions {
  /** When the request was made: some catalog prices changed on a date. Default: now. */
  at?: Date;
  /** The OpenAI-compatible server's base URL (e.g. `https://openrouter.ai/api/v1`). */
  baseUrl?: string;
}

type Query = { modelId: string; options: GenaiPrices.PriceOptions };
type Found = { query: Query; result: GenaiPrices.PriceCalculation; conditional: boolean };

/** Prices and context limits for models, from the bundled catalog and the user's overrides. */
export class PriceCatalog {
  /** Catalog matches by provider kind, model and base URL (lookups are pure functions of those). */
  private readonly found = new Map<string, Found | null>();

  constructor(
    /** Label stored with computed costs: `genai-prices@<version>` (`+remote-<time>` after a refresh). */
    readonly label: string = BUNDLED_CATALOG,
    /** The user's overrides by model id; they win over the catalog. */
    readonly overrides: PriceOverrides = NO_OVERRIDES,
  ) {}

  /** A model's prices (an override first, then the catalog), or null when nobody knows them. */
  modelPrices(model: string, provider: ProviderKind, options: LookupOptions = {}): PricedModel | null {
    const override = this.override(model);
    if (override?.inputPerMTok !== undefined && override.outputPerMTok !== undefined) {
      return { catalog: 'override', anthropic: provider === 'anthropic', prices: overridePrices(override) };
    }
    const found = this.find(model, provider, options);
    if (!found) return null;
    const result = found.conditional ? recalc(found.query, options.at) : found.result;
    const prices = result && catalogPrices(result.model_price);
    if (!result || !prices) return null;
    return {
      catalog: this.label,
      match: { providerId: result.provider.id, modelId: result.model.id },
      // Anthropic's own list (every `anthropic` kind lookup lands there) or OpenRouter's `anthropic/…`.
      anthropic: result.provider.id === 'anthropic' || result.model.id.startsWith('anthropic/'),
      prices,
    };
  }

  /** A model's context window in tokens (an override first, then the catalog), or null when unknown. */
  contextLimit(model: string, provider: ProviderKind, options: LookupOptions = {}): number | null {
    const override = this.override(model)?.contextWindow;
    if (override !== undefined) return override;
    return this.find(model, provider, options)?.result.model.context_window ?? null;
  }

  private override(model: string): ModelOverride | undefined {
    const models = this.overrides.models;
    return Object.hasOwn(models, model) ? models[model] : undefined;
  }

  private find(model: string, provider: ProviderKind, options: LookupOptions): Found | null {
    const key = JSON.stringify([provider, model, options.baseUrl]);
    let found = this.found.get(key);
    if (found === undefined) {
      found = search(model, provider, options);
      this.found.set(key, found);
    }
    return found;
  }
}

/** A catalog of the bundled price data (no network), with the user's overrides if any. */
export function loadCatalog(options: { overrides?: PriceOverrides } = {}): PriceCatalog {
  return new PriceCatalog(BUNDLED_CATALOG, options.overrides ?? NO_OVERRIDES);
}

/**
 * Opt-in only (never called by Tally on its own): fetches the newest genai-prices data and
 * returns a catalog labelled with it. The library holds its data globally, so use the returned
 * catalog from then on. Rejects, keeping the previous data, when the download fails.
 */
export async function refreshCatalog(
  options: { overrides?: PriceOverrides; fetchJson?: (url: string) => Promise<unknown> } = {},
): Promise<PriceCatalog> {
  const fetchJson =
    options.fetchJson ??
    (async (url: string) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
      return res.json();
    });
  const gp = genaiPrices();
  gp.updatePrices(({ remoteDataUrl, setProviderData }) => {
    setProviderData(fetchJson(remoteDataUrl) as Promise<GenaiPrices.Provider[]>);
  });
  await gp.waitForUpdate();
  return new PriceCatalog(
    `${BUNDLED_CATALOG}+remote-${new Date().toISOString()}`,
    options.overrides ?? NO_OVERRIDES,
  );
}

// The package's CommonJS build, required on first use (bundled by esbuild, evaluated lazily).
function genaiPrices(): typeof GenaiPrices {
  return require('@pydantic/genai-prices') as typeof GenaiPrices;
}

/** The genai-prices provider id for each Tally wire format with a single vendor. */
const CATALOG_PROVIDER: Record<Exclude<ProviderKind, 'openai-compatible'>, string> = {
  openai: 'openai',
  'openai-chat': 'openai',
  anthropic: 'anthropic',
  google: 'google',
};

/**
 * Where a model is looked up. One vendor for the vendor kinds. For an OpenAI-compatible server:
 * the server itself (by base URL), then OpenRouter's own list for a `vendor/model` id (the naming
 * is OpenRouter's), then that vendor's list, then any provider whose models match the bare id.
 */
function queries(model: string, provider: ProviderKind, options: LookupOptions): Query[] {
  if (provider !== 'openai-compatible')
    return [{ modelId: model, options: { providerId: CATALOG_PROVIDER[provider] } }];
  const list: Query[] = [];
  if (options.baseUrl) list.push({ modelId: model, options: { providerApiUrl: options.baseUrl } });
  const slash = model.indexOf('/');
  if (slash > 0) {
    list.push({ modelId: model, options: { providerId: 'openrouter' } });
    list.push({ modelId: model.slice(slash + 1), options: { providerId: model.slice(0, slash) } });
  }
  list.push({ modelId: model, options: {} });
  return list;
}

function search(model: string, provider: ProviderKind, options: LookupOptions): Found | null {
  for (const query of queries(model, provider, options)) {
    const result = recalc(query, options.at);
    if (result) return { query, result, conditional: Array.isArray(result.model.prices) };
  }
  return null;
}

/** Runs the library's lookup (matching, date-dependent prices) with no usage: we only want its prices. */
function recalc(query: Query, at: Date | undefined): GenaiPrices.PriceCalculation | null {
  try {
    return genaiPrices().calcPrice({}, query.modelId, { ...query.options, timestamp: at ?? new Date() });
  } catch {
    return null; // malformed catalog entry: treat as unknown, never as $0
  }
}

function catalogPrices(price: GenaiPrices.ModelPrice): ModelPrices | null {
  const input = tiered(price.input_mtok);
  const output = tiered(price.output_mtok);
  if (!input || !output) return null; // e.g. an embedding model: not priced for chat requests
  const prices: ModelPrices = { input, output };
  const cacheRead = tiered(price.cache_read_mtok);
  const cacheWrite = tiered(price.cache_write_mtok);
  const cacheWrite1h = tiered(price.cache_write_1h_mtok);
  if (cacheRead) prices.cacheRead = cacheRead;
  if (cacheWrite) prices.cacheWrite = cacheWrite;
  if (cacheWrite1h) prices.cacheWrite1h = cacheWrite1h;
  return prices;
}

function tiered(value: number | GenaiPrices.TieredPrices | undefined): TieredPrice | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return { base: perMTokToPicoPerToken(value), tiers: [] };
  return {
    base: perMTokToPicoPerToken(value.base),
    tiers: [...value.tiers]
      .sort((a, b) => a.start - b.start)
      .map((t) => ({ start: t.start, price: perMTokToPicoPerToken(t.price) })),
  };
}

function overridePrices(o: ModelOverride): ModelPrices {
  const flat = (usd: number): TieredPrice => ({ base: perMTokToPicoPerToken(usd), tiers: [] });
  const prices: ModelPrices = { input: flat(o.inputPerMTok!), output: flat(o.outputPerMTok!) };
  if (o.cacheReadPerMTok !== undefined) prices.cacheRead = flat(o.cacheReadPerMTok);
  if (o.cacheWritePerMTok !== undefined) prices.cacheWrite = flat(o.cacheWritePerMTok);
  if (o.cacheWrite1hPerMTok !== undefined) prices.cacheWrite1h = flat(o.cacheWrite1hPerMTok);
  return prices;
}
