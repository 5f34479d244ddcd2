/**
 * Allowlist sanitizer for the HTML that markdown-it produced from model-written markdown. markdown-it
 * already runs with `html: false`, so raw HTML arrives escaped; this second pass is defence in depth:
 * only known tags survive, only known attributes on them, links only with safe schemes, and every
 * `<` or `>` that is not part of an allowed tag becomes text. The webview's CSP is the third layer.
 */

const ALLOWED: Record<string, readonly string[]> = {
  p: [], br: [], hr: [], h1: [], h2: [], h3: [], h4: [], h5: [], h6: [],
  ul: [], ol: ['start'], li: [], blockquote: [], pre: [], code: ['class'],
  em: [], strong: [], s: [], del: [],
  a: ['href', 'title', 'data-open-file', 'data-line'],
  table: [], thead: [], tbody: [], tr: [], th: ['style', 'class'], td: ['style', 'class'],
  span: ['class'],
};

const VOID = new Set(['br', 'hr']);
const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*"[^"]*")?)*)\s*\/?>$/;
const ATTR = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Escapes `<`, `>` and stray quotes in text while keeping entities markdown-it already wrote. */
function escapeText(s: string): string {
  return s.replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);?/gi, (_m, ent: string) => {
    const e = ent.toLowerCase();
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16) || 0xfffd);
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10) || 0xfffd);
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e] ?? '';
  });
}

/** http(s), mailto and in-page anchors; nothing that could run code or load another origin's document. */
export function isSafeHref(raw: string): boolean {
  const href = decodeEntities(raw).replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (href === '' || href.startsWith('#')) return true;
  return /^(https?:\/\/|mailto:)/i.test(href);
}

function safeAttr(tag: string, name: string, value: string): boolean {
  if (!ALLOWED[tag]?.includes(name)) return false;
  switch (name) {
    case 'href':
      return isSafeHref(value);
    case 'style':
      return /^text-align:\s*(left|right|center)$/.test(value);
    case 'class':
      return /^[a-zA-Z0-9 _-]{1,80}$/.test(value);
    case 'start':
    case 'data-line':
      return /^\d{1,7}$/.test(value);
    default:
      return true;
  }
}

export function sanitizeHtml(html: string): string {
  const out: string[] = [];
  const open: string[] = [];
  for (const part of html.split(/(<[^<>]*>)/)) {
    if (part === '') continue;
    const m = part.startsWith('<') ? TAG.exec(part) : null;
    const tag = m?.[2]?.toLowerCase();
    if (!m || !tag || !(tag in ALLOWED)) {
      out.push(escapeText(part));
      continue;
    }
    if (m[1] === '/') {
      const at = open.lastIndexOf(tag);
      if (at === -1) continue; // closing a tag never opened: drop it
      while (open.length > at) out.push(`</${open.pop()}>`);
      continue;
    }
    const attrs: string[] = [];
    for (const a of (m[3] ?? '').matchAll(ATTR)) {
      const name = a[1]?.toLowerCase() ?? '';
      const value = a[2] ?? '';
      if (!safeAttr(tag, name, value)) continue;
      // The page's CSP refuses style attributes: a table column's alignment becomes a class of panel.css.
      if (name === 'style') attrs.push(` class="align-${/(left|right|center)$/.exec(value)![1]}"`);
      else attrs.push(` ${name}="${escapeHtml(decodeEntities(value))}"`);
    }
    out.push(`<${tag}${attrs.join('')}>`);
    if (!VOID.has(tag)) open.push(tag);
  }
  while (open.length) out.push(`</${open.pop()}>`);
  return out.join('');
}
