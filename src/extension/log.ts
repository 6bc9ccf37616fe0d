/** The "Tally" output channel, filtered by the `tally.logLevel` setting (debug shows every usage save). */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export interface ChannelLogger extends Logger, vscode.Disposable {
  readonly channel: vscode.OutputChannel;
  setLevel(level: string): void;
}

export function createLogger(level: string): ChannelLogger {
  const channel = vscode.window.createOutputChannel('Tally');
  let min = Math.max(0, LEVELS.indexOf(level as Level));
  const at =
    (l: Level) =>
    (msg: string, data?: Record<string, unknown>): void => {
      if (LEVELS.indexOf(l) < min) return;
      channel.appendLine(
        `${new Date().toISOString()} [${l}] ${msg}${data ? ` ${JSON.stringify(data)}` : ''}`,
      );
    };
  return {
    channel,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel(l: string) {
      min = Math.max(0, LEVELS.indexOf(l as Level));
    },
    dispose: () => channel.dispose(),
  };
}
