/**
 * The HTML document of a markdown panel. Strict CSP: nothing by default; the one script and the one
 * stylesheet come from media/ (webview.cspSource) and carry this render's nonce; images only from
 * media/. No inline script or style, no inline event handlers.
 */
import * as crypto from 'node:crypto';
import { escapeHtml } from './sanitize';

export interface PageInput {
  title: string;
  /** 'qc', 'adr' or 'audit': lets the stylesheet and the e2e tests tell the panels apart. */
  kind: 'qc' | 'adr' | 'audit';
  badgesHtml: string;
  /** Already rendered and sanitized. */
  bodyHtml: string;
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce?: string;
}

export function newNonce(): string {
  return crypto.randomBytes(18).toString('base64').replace(/[^a-zA-Z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function renderPage(input: PageInput): string {
  const nonce = input.nonce ?? newNonce();
  const csp = contentSecurityPolicy(input.cspSource, nonce);
  const attr = (s: string) => escapeHtml(s);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp.replace(/"/g, '&quot;')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(input.styleUri)}" nonce="${nonce}">
<title>${escapeHtml(input.title)}</title>
</head>
<body data-bp-panel="${input.kind}">
<header class="panel-header"><h1 class="panel-title">${escapeHtml(input.title)}</h1><div id="badges" class="badges">${input.badgesHtml}</div></header>
<main id="content" class="markdown-body">${input.bodyHtml}</main>
<script nonce="${nonce}" src="${attr(input.scriptUri)}"></script>
</body>
</html>`;
}
