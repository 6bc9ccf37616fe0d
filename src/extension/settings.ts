/** Tally's settings (contributes.configuration in package.json), read in one place. */
import * as vscode from 'vscode';
import type { ModelChoice } from '../core/chat/controller';
import { type PriceOverrides, parsePriceOverrides } from '../core/pricing/overrides';
import { isProviderKind, type ProviderKind } from '../core/usage/providers';

export interface TallySettings {
  provider: ProviderKind;
  model: string;
  baseUrls: Partial<Record<ProviderKind, string>>;
  budgetUsd: number | null;
  maxSteps: number;
  idleTimeoutMs: number;
  allowWrites: boolean;
  allowCommands: boolean;
  logLevel: string;
}

export function readSettings(): TallySettings {
  const c = vscode.workspace.getConfiguration('tally');
  const provider = c.get<string>('provider', 'openai');
  const budget = c.get<number | null>('budgetUsd', null);
  return {
    provider: isProviderKind(provider) ? provider : 'openai',
    model: c.get<string>('model', 'gpt-4o') || 'gpt-4o',
    baseUrls: c.get<Partial<Record<ProviderKind, string>>>('baseUrls', {}) ?? {},
    budgetUsd: typeof budget === 'number' && budget > 0 ? budget : null,
    maxSteps: Math.max(1, Math.min(200, c.get<number>('maxSteps', 25))),
    idleTimeoutMs: Math.max(0, c.get<number>('requestTimeoutSeconds', 120)) * 1000,
    allowWrites: c.get<boolean>('allowWrites', true),
    allowCommands: c.get<boolean>('allowCommands', true),
    logLevel: c.get<string>('logLevel', 'info'),
  };
}

export function modelChoice(s: TallySettings): ModelChoice {
  const baseURL = s.baseUrls[s.provider];
  return { provider: s.provider, model: s.model, ...(baseURL ? { baseURL } : {}) };
}

/** The price and context-limit overrides setting, in the price-file shape; throws a clear error. */
export function readPriceOverrides(): PriceOverrides | undefined {
  const raw = vscode.workspace.getConfiguration('tally').get<unknown>('prices');
  if (!raw || (typeof raw === 'object' && Object.keys(raw).length === 0)) return undefined;
  return parsePriceOverrides(JSON.stringify(raw), 'the "tally.prices" setting');
}
