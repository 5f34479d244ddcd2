// Script of the QC report and ADR panels. Loaded from media/ with the page's nonce (no inline code).
// Protocol (src/extension/models/webviewProtocol.ts): says `ready` once listening; asks the host to
// open file links in the editor; replaces badges and body when the host sends new `content`.
// The HTML it receives was rendered with markdown-it (html disabled) and sanitized by the host.
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('a[data-open-file]') : null;
    if (!target) return;
    event.preventDefault();
    const line = Number(target.getAttribute('data-line'));
    vscode.postMessage({
      type: 'open-file',
      path: target.getAttribute('data-open-file'),
      line: Number.isInteger(line) && line > 0 ? line : undefined,
    });
  });

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (!msg || msg.type !== 'content') return;
    const badges = document.getElementById('badges');
    const content = document.getElementById('content');
    if (badges && typeof msg.badgesHtml === 'string') badges.innerHTML = msg.badgesHtml;
    if (content && typeof msg.bodyHtml === 'string') content.innerHTML = msg.bodyHtml;
  });

  vscode.postMessage({ type: 'ready' });
})();
