/**
 * Renders model-written markdown (QC reports, ADRs) for a webview: markdown-it with raw HTML
 * disabled, links limited to http(s)/mailto/anchors, relative file links turned into
 * "open in editor" links handled by the panel, images shown as their alt text (the CSP would block
 * them anyway), then the allowlist sanitizer, then verdict/severity words marked as badges.
 */
import MarkdownIt from 'markdown-it';
import { escapeHtml, isSafeHref, sanitizeHtml } from './sanitize';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** Anything without a scheme is a file path (to open in the editor); of the schemes, only the safe ones. */
md.validateLink = (url: string): boolean => !/^[a-z][a-z0-9+.-]*:/i.test(url.trim()) || isSafeHref(url);

/** `src/a.ts:12`, `src/a.ts#L12` → path and line. */
export function parseFileLink(href: string): { path: string; line?: number } | undefined {
  const clean = href.trim();
  if (clean === '' || clean.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(clean)) return undefined;
  const m = /^(.*?)(?::(\d+)(?::\d+)?|#L(\d+)(?:-L?\d+)?)?$/.exec(clean);
  const p = m?.[1] ?? clean;
  const lineText = m?.[2] ?? m?.[3];
  let filePath = p;
  try {
    filePath = decodeURIComponent(p);
  } catch {
    // keep the raw text
  }
  return lineText ? { path: filePath, line: Number(lineText) } : { path: filePath };
}

md.renderer.rules.link_open = (tokens, idx) => {
  const token = tokens[idx];
  const href = String(token?.attrGet('href') ?? '');
  const file = parseFileLink(href);
  if (file) {
    const line = file.line ? ` data-line="${file.line}"` : '';
    return `<a href="#" data-open-file="${escapeHtml(file.path)}"${line} title="Open ${escapeHtml(file.path)} in the editor">`;
  }
  return isSafeHref(href) ? `<a href="${escapeHtml(href)}" title="${escapeHtml(href)}">` : '<a>';
};

md.renderer.rules.image = (tokens, idx) => {
  const alt = tokens[idx]?.content ?? '';
  return `<span class="img-alt">[image${alt ? `: ${escapeHtml(alt)}` : ''}]</span>`;
};

const MARKS: [RegExp, string][] = [
  [/\bFAIL-CRITICAL\b/g, 'badge sev-critical'],
  [/\bFAIL-MAJOR\b/g, 'badge sev-major'],
  [/\bPASS\b/g, 'badge sev-pass'],
  [/(?<!FAIL-)\bCRITICAL\b/g, 'badge sev-critical'],
  [/(?<!FAIL-)\bMAJOR\b/g, 'badge sev-major'],
  [/\bMINOR\b/g, 'badge sev-minor'],
];

/** Wraps verdict and severity words found in text (never inside code or tags) in badge spans. */
function markSeverities(html: string): string {
  let inCode = 0;
  return html
    .split(/(<[^<>]*>)/)
    .map((part) => {
      if (part.startsWith('<')) {
        if (/^<(pre|code)\b/.test(part)) inCode++;
        if (/^<\/(pre|code)>/.test(part)) inCode = Math.max(0, inCode - 1);
        return part;
      }
      if (inCode > 0) return part;
      const combined = new RegExp(MARKS.map(([re]) => re.source).join('|'), 'g');
      return part.replace(combined, (word) => {
        const cls = MARKS.find(([re]) => new RegExp(`^(?:${re.source})$`).test(word))?.[1] ?? 'badge';
        return `<span class="${cls}">${word}</span>`;
      });
    })
    .join('');
}

/** The `<!-- DONE -->` sentinel closes agent-written files for machines; readers need not see it. */
const DONE_SENTINEL = /^[ \t]*<!-- DONE -->[ \t]*$/gm;

export function renderMarkdown(markdown: string): string {
  return markSeverities(sanitizeHtml(md.render(markdown.replace(DONE_SENTINEL, ''))));
}
