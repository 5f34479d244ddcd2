import * as assert from 'node:assert/strict';
import { decideHunk, parseConflictedText, resolveConflictedText, type ConflictHunk } from '../../src/core/git/conflicts';

/** A diff3-style conflicted file around the given sides. */
function conflicted(ours: string, theirs: string, base = '', before = 'top\n', after = 'bottom\n'): string {
  return `${before}<<<<<<< HEAD\n${ours}||||||| 1234abc\n${base}=======\n${theirs}>>>>>>> orchestration/r/api\n${after}`;
}

function hunk(ours: string, theirs: string, base: string | null = ''): ConflictHunk {
  return { startLine: 1, ours, base, theirs };
}

describe('parseConflictedText', () => {
  it('splits text and diff3 hunks, keeping line ends and 1-based marker lines', () => {
    const parsed = parseConflictedText(conflicted('a = 1\n', 'a = 2\n', 'a = 0\n'));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.hunks, [{ startLine: 2, ours: 'a = 1\n', base: 'a = 0\n', theirs: 'a = 2\n' }]);
    assert.deepEqual(
      parsed.segments.map((s) => s.kind),
      ['text', 'hunk', 'text'],
    );
  });

  it('parses hunks without a base section (merge style) with base null', () => {
    const parsed = parseConflictedText('<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n');
    assert.ok(parsed.ok);
    assert.equal(parsed.hunks[0]?.base, null);
  });

  it('treats a ======= line outside a hunk as text (markdown underline)', () => {
    const parsed = parseConflictedText('Title\n=======\n');
    assert.ok(parsed.ok);
    assert.equal(parsed.hunks.length, 0);
  });

  for (const [name, text] of [
    ['an unterminated hunk', '<<<<<<< HEAD\nx\n=======\ny\n'],
    ['a nested hunk', '<<<<<<< HEAD\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n'],
    ['a stray closing marker', 'x\n>>>>>>> b\n'],
    ['a closing marker before =======', '<<<<<<< HEAD\nx\n>>>>>>> b\n'],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.equal(parseConflictedText(text).ok, false);
    });
  }
});

describe('decideHunk: whitespace', () => {
  it('takes theirs when the sides differ only in trailing space, inner spacing and blank lines', () => {
    const decision = decideHunk(hunk('const a  =  1;   \n\nfoo(a);\n', 'const a = 1;\nfoo(a);\n'));
    assert.deepEqual(decision, { trivial: true, rule: 'whitespace', resolution: 'const a = 1;\nfoo(a);\n' });
  });

  it('treats CRLF versus LF as whitespace', () => {
    const decision = decideHunk(hunk('x = 1\r\n', 'x = 1\n'));
    assert.equal(decision.trivial && decision.rule, 'whitespace');
  });

  it('does not treat an indentation change as whitespace (it is meaning in Python)', () => {
    const decision = decideHunk(hunk('if a:\n    b()\nc()\n', 'if a:\n    b()\n    c()\n'));
    assert.equal(decision.trivial, false);
  });

  it('does not treat a change inside a token as whitespace', () => {
    assert.equal(decideHunk(hunk('a = b+c\n', 'a = b + c\n')).trivial, false);
  });
});

describe('decideHunk: import order', () => {
  it('merges TypeScript imports into the sorted union', () => {
    const decision = decideHunk(
      hunk("import { b } from './b';\nimport a from './a';\n", "import { c } from './c';\nimport a from './a';\n", "import a from './a';\n"),
    );
    assert.deepEqual(decision, {
      trivial: true,
      rule: 'import-order',
      resolution: "import a from './a';\nimport { b } from './b';\nimport { c } from './c';\n",
    });
  });

  it('accepts require, side-effect imports, re-exports and type imports', () => {
    const decision = decideHunk(
      hunk(
        "const fs = require('fs');\nimport './polyfill';\nexport * from './types';\n",
        "const { join } = require(\"path\");\nexport { x } from './x';\nimport type { T } from './t';\nexport * as ns from './ns';\n",
      ),
    );
    assert.ok(decision.trivial);
    assert.equal(decision.rule, 'import-order');
    assert.equal(decision.resolution.split('\n').filter(Boolean).length, 7);
  });

  it('merges Python imports', () => {
    const decision = decideHunk(hunk('import os\nfrom typing import List\n', 'import sys\nfrom . import models\nfrom a.b import (c, d as e)\n'));
    assert.deepEqual(decision, {
      trivial: true,
      rule: 'import-order',
      resolution: 'from . import models\nfrom a.b import (c, d as e)\nfrom typing import List\nimport os\nimport sys\n',
    });
  });

  it('keeps the file’s CRLF endings and the shared indentation', () => {
    const decision = decideHunk(hunk('    import os\r\n', '    import sys\r\n'));
    assert.ok(decision.trivial);
    assert.equal(decision.resolution, '    import os\r\n    import sys\r\n');
  });

  it('refuses when both sides import the same module through different lines', () => {
    const decision = decideHunk(hunk("import { a } from './x';\n", "import { a, b } from './x';\n"));
    assert.equal(decision.trivial, false);
    assert.match(decision.trivial ? '' : decision.reason, /both sides import "\.\/x"/);
  });

  it('allows lines for the same module that one side already had together', () => {
    const ours = "import type { T } from './x';\nimport { a } from './x';\n";
    const theirs = "import type { T } from './x';\nimport { a } from './x';\nimport { y } from './y';\n";
    assert.ok(decideHunk(hunk(ours, theirs)).trivial);
  });

  it('refuses when a side contains anything but imports', () => {
    const decision = decideHunk(hunk("import a from './a';\nconst x = 1;\n", "import b from './b';\n"));
    assert.equal(decision.trivial, false);
  });

  it('refuses multi-line imports', () => {
    assert.equal(decideHunk(hunk("import {\n  a,\n} from './a';\n", "import b from './b';\n")).trivial, false);
  });

  it('refuses imports at different indentation', () => {
    assert.equal(decideHunk(hunk('import os\n', '  import sys\n')).trivial, false);
  });
});

describe('resolveConflictedText', () => {
  it('resolves every hunk and keeps the surrounding text', () => {
    const text =
      conflicted("import b from './b';\n", "import c from './c';\n", '', "import a from './a';\n", '\nexport {};\n') +
      conflicted('x  = 1\n', 'x = 1\n', 'x = 0\n', '', '');
    const result = resolveConflictedText(text);
    assert.deepEqual(result, {
      ok: true,
      text: "import a from './a';\nimport b from './b';\nimport c from './c';\n\nexport {};\nx = 1\n",
      resolved: [
        { startLine: 2, rule: 'import-order' },
        { startLine: 10, rule: 'whitespace' },
      ],
    });
  });

  it('lists every non-trivial hunk with its line', () => {
    const text = conflicted('a()\n', 'b()\n') + conflicted('x  = 1\n', 'x = 1\n', '', '', '') + conflicted('c()\n', 'd()\n', '', '', '');
    const result = resolveConflictedText(text);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.ok ? [] : result.nonTrivial.map((h) => h.startLine),
      [2, 15],
    );
  });

  it('refuses files without markers or with broken markers', () => {
    assert.equal(resolveConflictedText('plain\n').ok, false);
    assert.equal(resolveConflictedText('<<<<<<< HEAD\nx\n').ok, false);
  });
});
