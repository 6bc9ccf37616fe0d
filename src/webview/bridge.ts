/**
 * The webview's only channel to the host: typed messages both ways, and the UI state (scroll,
 * expanded rows, drafts) that VS Code keeps for a hidden or reloaded webview. No data lives in
 * that state: every number comes from the host.
 */
import type { HostToWebview, WebviewToHost } from '../shared/protocol';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Bridge<S> {
  post(msg: WebviewToHost): void;
  /** The saved UI state, or undefined on a first load. */
  loadState(): Partial<S> | undefined;
  saveState(s: S): void;
  onMessage(fn: (msg: HostToWebview) => void): void;
}

/** Wraps the VS Code API (acquireVsCodeApi may be called once per page). */
export function createBridge<S>(): Bridge<S> {
  const api = acquireVsCodeApi();
  return {
    post: (msg) => api.postMessage(msg),
    loadState: () => {
      const s = api.getState();
      return typeof s === 'object' && s !== null ? (s as Partial<S>) : undefined;
    },
    saveState: (s) => api.setState(s),
    onMessage: (fn) => {
      window.addEventListener('message', (event: MessageEvent) => {
        const data: unknown = event.data;
        if (
          typeof data === 'object' &&
          data !== null &&
          typeof (data as { type?: unknown }).type === 'string'
        ) {
          fn(data as HostToWebview);
        }
      });
    },
  };
}
