/** Where the CLI writes: results to stdout, diagnostics to stderr (so `--json` stays parseable). */
import type { Logger } from '../core/log';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function warn(text: string): void {
  process.stderr.write(`tally: ${text}\n`);
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A logger to stderr at the level of `TALLY_LOG` (default warn). */
export function stderrLogger(): Logger {
  const min = Math.max(0, LEVELS.indexOf((process.env.TALLY_LOG ?? 'warn') as (typeof LEVELS)[number]));
  const at =
    (level: number, name: string) =>
    (msg: string, data?: Record<string, unknown>): void => {
      if (level < min) return;
      process.stderr.write(`[${name}] ${msg}${data ? ` ${JSON.stringify(data)}` : ''}\n`);
    };
  return { debug: at(0, 'debug'), info: at(1, 'info'), warn: at(2, 'warn'), error: at(3, 'error') };
}
