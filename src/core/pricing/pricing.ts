/**
 * Pricing as the rest of Tally uses it: one object built once (bundled catalog + the user's
 * overrides file), with plain functions that take the provider as the string a session log
 * stores. A provider string that is not a Tally provider kind is looked up like an
 * OpenAI-compatible server: by model id across the catalog.
 */
import type { Cost } from '../sessions/events';
import { isProviderKind, type ProviderKind } from '../usage/providers';
import type { Usage } from '../usage/types';
import { type LookupOptions, loadCatalog, type PriceCatalog } from './catalog';
import { readPriceOverrides } from './overrides';
import { priceRequest } from './priceRequest';

/** Prices and context limits, ready to hand to the session store, the agent and the CLI. */
export interface Pricing {
  readonly catalog: PriceCatalog;
  /** The cost record of one request; a reported cost (OpenRouter) wins. `where`: request time, server URL. */
  readonly price: (
    usage: Usage,
    model: string,
    provider: string,
    reportedCostUsd?: number,
    where?: LookupOptions,
  ) => Cost;
  /** The model's context window in tokens, or null when unknown. */
  readonly contextLimit: (model: string, provider: string, where?: LookupOptions) => number | null;
}

/** Builds `Pricing` over a catalog. */
export function pricingOf(catalog: PriceCatalog): Pricing {
  return {
    catalog,
    price: (usage, model, provider, reportedCostUsd, where = {}) =>
      priceRequest(usage, model, kindOf(provider), catalog, { ...where, reportedCostUsd }),
    contextLimit: (model, provider, where) => catalog.contextLimit(model, kindOf(provider), where),
  };
}

/** Loads the bundled catalog (no network) and, if given, the overrides file (throws `PriceFileError`). */
export async function loadPricing(options: { overridesFile?: string } = {}): Promise<Pricing> {
  const overrides = options.overridesFile ? await readPriceOverrides(options.overridesFile) : undefined;
  return pricingOf(loadCatalog(overrides ? { overrides } : {}));
}

function kindOf(provider: string): ProviderKind {
  return isProviderKind(provider) ? provider : 'openai-compatible';
}
