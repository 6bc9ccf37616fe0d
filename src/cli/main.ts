/**
 * `tally`: the ledger from the command line, for audits and scripts. Exit codes: 0 ok, 1 an
 * error (unknown session, unreadable folder, bad price file, provider failure), 2 a usage error
 * (unknown command or flag), 3 a request not sent because it could cross a budget, 130 stopped by SIGINT.
 */
import { CliError } from './args';
import { warn } from './output';

export const HELP = `tally — every token accounted for

Usage:
  tally sessions [--storage DIR] [--json]
  tally stats <sessionId> [--storage DIR] [--requests] [--prices FILE] [--json]
  tally export <sessionId|--all> --format csv|json [--out FILE] [--storage DIR] [--prices FILE]
  tally import <file> [--storage DIR] [--prices FILE]
  tally run --storage DIR [--workspace DIR] --provider P --model M [--base-url URL] [--session ID]
            [--prices FILE] [--allow-writes] [--allow-commands] [--max-steps N] [--timeout SECONDS]
            [--json] [--max-output-tokens N] [--session-budget USD] [--daily-budget USD]
            [--monthly-budget USD] [--workspace-daily-budget USD] [--workspace-monthly-budget USD]
            [--budget-file FILE] [--tz ZONE] [--over-budget] "prompt"
  tally report [--by day|week|month|model|provider|workspace|session] [--since YYYY-MM-DD]
               [--until YYYY-MM-DD] [--tz ZONE] [--json|--csv] [--storage DIR]... [--storage-root DIR]...
  tally budget [--storage DIR] [--session ID] [--daily-budget USD] [--monthly-budget USD] [--session-budget USD]
               [--workspace-daily-budget USD] [--workspace-monthly-budget USD] [--budget-file FILE] [--tz ZONE] [--json]
  tally export-otel [--storage DIR]... [--storage-root DIR]... [--watch SECONDS] [--json]
               (off unless TALLY_OTEL=1; configured by OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _PROTOCOL,
               OTEL_RESOURCE_ATTRIBUTES, OTEL_SEMCONV_STABILITY_OPT_IN; TALLY_OTEL_WORKSPACE_NAME=1 sends names)

Providers: openai (Responses), openai-chat, anthropic, google, openai-compatible.
Keys: OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY, TALLY_API_KEY (compatible servers).
Exit codes: 0 ok, 1 error, 2 usage error, 3 over budget (run: stopped before a request that could
cross one, --over-budget sends it anyway; budget: one is exceeded), 130 interrupted.
--storage defaults to $TALLY_STORAGE. report reads every editor's Tally storage found on this machine
unless --storage / --storage-root (each repeatable) choose folders; so does export-otel. Set TALLY_LOG=debug for the debug log on stderr.`;

// Loaded on demand: `tally sessions` need not load the AI SDK, nor `tally run` the exporters.
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  sessions: async () => (await import('./commands/sessions')).sessionsCommand,
  stats: async () => (await import('./commands/stats')).statsCommand,
  export: async () => (await import('./commands/export')).exportCommand,
  import: async () => (await import('./commands/import')).importCommand,
  run: async () => (await import('./commands/run')).runCommand,
  report: async () => (await import('./commands/report')).reportCommand,
  'export-otel': async () => (await import('./commands/exportOtel')).exportOtelCommand,
  budget: async () => (await import('./commands/budget')).budgetCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${process.env.TALLY_VERSION ?? '0.1.0'}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    warn(`unknown command "${name}" (see "tally help")`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof CliError) {
      warn(e.message);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    warn(`${err.message ?? String(e)}${err.code ? ` (${err.code})` : ''}`);
    if (process.env.TALLY_LOG === 'debug' && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** Runs the CLI and exits with its code once output is flushed (bin/tally calls this). */
export function runCli(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // Let stdout drain; then do not wait on idle keep-alive sockets.
      setTimeout(() => process.exit(code), 1500).unref();
    },
    (e) => {
      warn(String(e));
      process.exit(1);
    },
  );
}
