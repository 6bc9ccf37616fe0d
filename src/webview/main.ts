/** Webview entry. Renders what the host sends; computes no billing numbers itself. */
declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
};

const vscodeApi = acquireVsCodeApi();
const root = document.getElementById('root')!;

window.addEventListener('message', (event: MessageEvent) => {
  const msg = event.data as { type?: string; trusted?: boolean };
  if (msg?.type === 'hello') {
    root.textContent = msg.trusted
      ? 'No session yet.'
      : 'Restricted mode: chat works, but write and command tools are off until you trust this workspace.';
  }
});
vscodeApi.postMessage({ type: 'ready' });
