/** Flag parsing for the CLI: strict (an unknown flag is an error), with one clear line per mistake. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** An error the CLI prints as one line and exits with `exitCode` (2: usage, 1: anything else). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(`${message} (see "tally help")`, 2);
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError((e as Error).message.split('\n')[0]!.replace(/^TypeError \[\w+\]: /, ''));
  }
}

export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}
