/**
 * The typed message protocol between a markdown panel and its webview script (media/panel.js).
 * The webview says `ready` once its listeners are in place; only then does the host send updates.
 * Everything the webview sends is validated here: it is a page showing untrusted text.
 */

export type WebviewToHost = { type: 'ready' } | { type: 'open-file'; path: string; line?: number };

export type HostToWebview = { type: 'content'; badgesHtml: string; bodyHtml: string };

export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready') return { type: 'ready' };
  if (m.type === 'open-file' && typeof m.path === 'string' && m.path.length > 0 && m.path.length < 1000) {
    const line = typeof m.line === 'number' && Number.isInteger(m.line) && m.line > 0 ? m.line : undefined;
    return line ? { type: 'open-file', path: m.path, line } : { type: 'open-file', path: m.path };
  }
  return undefined;
}
