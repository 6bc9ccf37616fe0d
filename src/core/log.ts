/**
 * A tiny logger interface for core code. The extension passes one that writes to its output
 * channel, the CLI one that writes to stderr; tests and library callers get the no-op default.
 */
export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/** A logger that drops everything: the default when the caller passes none. */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
