import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** The HTML shell of a webview: strict CSP with a nonce, no remote content, theme variables only. */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  view: string,
  title: string,
): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'codicons', 'codicon.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" nonce="${nonce}" id="vscode-codicon-stylesheet">
<title>${title}</title>
</head>
<body data-view="${view}">
<div id="root" role="main"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
