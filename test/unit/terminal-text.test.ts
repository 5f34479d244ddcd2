import * as assert from 'node:assert/strict';
import { forTerminal, jsonForTerminal } from '../../src/cli/terminalText';

describe('model text on the terminal (forTerminal)', () => {
  it('shows escape sequences, carriage returns, C1 controls and bidi overrides as visible escapes', () => {
    // A finding that would clear the screen and reprint a harmless line, and one read right-to-left.
    assert.equal(forTerminal('CRITICAL: key in db.js\u001b[2J\u001b[HAll clear'), 'CRITICAL: key in db.js\\u{1b}[2J\\u{1b}[HAll clear');
    assert.equal(forTerminal('ok\rFAIL'), 'ok\\u{d}FAIL');
    assert.equal(forTerminal('a\u009bb\u202ec\u2066d\u007f'), 'a\\u{9b}b\\u{202e}c\\u{2066}d\\u{7f}');
  });

  it('keeps newlines, tabs and ordinary text, accents and symbols included', () => {
    const plain = '⏸ Ship ready: merge orchestration/x/integration into main?\n\tTests: pass — café, 5 files ✔';
    assert.equal(forTerminal(plain), plain);
  });

  it('makes invisible characters visible too, and keeps --json output valid JSON', () => {
    assert.equal(forTerminal('ap\u200bprove\ufeff'), 'ap\\u{200b}prove\\u{feff}');
    const text = jsonForTerminal({ reason: 'red\u202e\u009b\u001b[2J' });
    assert.doesNotMatch(text, /[\u001b\u009b\u202e]/);
    assert.deepEqual(JSON.parse(text), { reason: 'red\u202e\u009b\u001b[2J' });
  });
});
