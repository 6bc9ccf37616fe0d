/** The local model server that tests and the demo use instead of real model APIs. */
export { startMockProvider } from './server';
export type {
  LogOutcome,
  MockLogEntry,
  MockProvider,
  MockProviderOptions,
  ProviderId,
  Script,
  ScriptEvent,
  ScriptEventInput,
  ScriptInput,
  UsageNumbers,
  UsageReport,
} from './types';
export { PROVIDER_IDS, ZERO_NUMBERS } from './types';
export { inputTotal, outputTotal } from './usage';
