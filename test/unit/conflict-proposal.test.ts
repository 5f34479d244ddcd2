/**
 * What the conflict gate shows (conflicts/proposal.ts): each change's new value beside the one it
 * replaces and the lock it is under, found from the changes even where the master's own list of
 * affected locks leaves one out; model text fenced so it cannot reshape the document.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { conflictGateView, fenced, touchedLocks } from '../../src/core/conflicts/proposal';
import { ResolutionSchema, type ConflictRecord } from '../../src/core/conflicts/resolution';
import type { Locks } from '../../src/core/contracts/schemas';
import { lockedItem } from '../../src/core/locks';

const at = { locked_by: 'architect', affects: ['api'], locked_at: 't' };
const locks: Locks = {
  decisions: { '001-storage': { ...at, lock_level: 'critical', assertion: 'Data is stored in SQLite only.' } },
  // The same interface under its module name and its file: the stricter entry is the one that counts.
  interfaces: { core: { ...at, lock_level: 'locked', assertion: 'core API' }, 'interfaces/core.interface.md': { ...at, lock_level: 'critical', assertion: 'core API' } },
};

function record(changes: unknown[], affectedLocks: string[] = []): ConflictRecord {
  return {
    module: 'api',
    issue: 'storage',
    reportPath: '/nowhere',
    report: 'BLOCKED: api needs Postgres\n```\n# not a heading of the proposal\n```',
    status: 'evaluated',
    resolution: ResolutionSchema.parse({
      recommendation: 'flex-contract',
      rationale: 'Postgres is needed for concurrent writers.',
      affected_modules: ['api', 'core'],
      affected_locks: affectedLocks,
      contract_changes: changes,
      builder_instructions: 'use the new storage decision',
      adr: { topic: 'conflict-api-storage', title: 'Postgres for api', decision: 'Switch storage.' },
    }),
    appliedChanges: 0,
    notified: [],
    feedback: [],
    openedAt: 't',
  };
}

describe('conflict gate proposal (M13)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-proposal-'));
    fs.mkdirSync(path.join(dir, 'interfaces'));
    fs.writeFileSync(path.join(dir, 'interfaces', 'core.interface.md'), '# core\nline 2\nline 3\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows a decision change with its new and old values and the lock level it moves from, though the master listed no lock', () => {
    const r = record([{ change: { kind: 'decision', key: '001-storage', assertion: 'Data is stored in Postgres.', lock_level: 'locked' }, reason: 'concurrent writers' }]);
    const view = conflictGateView(r, locks, dir);
    assert.match(view.summary, /Locks touched: decision 001-storage \[critical\]/);
    assert.match(view.summary, /Change: decision 001-storage \[critical\]: assertion "Data is stored in Postgres\." \(was "Data is stored in SQLite only\."\); lock critical → locked\. Why: concurrent writers/);
    assert.match(view.markdown, /\| assertion \| Data is stored in SQLite only\. \| Data is stored in Postgres\. \|/);
    assert.match(view.markdown, /\| lock level \| critical \| locked \|/);
  });

  it('shows an interface change in full with the text it replaces, under the stricter of its two lock entries', () => {
    assert.equal(lockedItem(locks, { kind: 'interface', key: 'core', text: 'x' }).entry?.lock_level, 'critical');
    const r = record([{ change: { kind: 'interface', key: 'core', text: '# core\nnew line\n' }, reason: 'adds a field' }], ['001-storage']);
    const view = conflictGateView(r, locks, dir);
    assert.deepEqual(touchedLocks(r, locks).map((t) => `${t.key} ${t.level}`), ['interface core critical', 'decision 001-storage critical']);
    assert.match(view.summary, /Change: interface core \[critical\]: 4 lines replaced by 3 \(interfaces\/core\.interface\.md; full text in the proposal\)/);
    assert.match(view.markdown, /#### Now\n\n```text\n# core\nline 2\nline 3\n\n```/);
    assert.match(view.markdown, /#### Proposed\n\n```text\n# core\nnew line\n\n```/);
  });

  it('reads the current contract text as an agent file: a link to a file outside the contracts is not followed', () => {
    const outside = path.join(path.dirname(dir), `${path.basename(dir)}-outside.md`);
    fs.writeFileSync(outside, 'NOT A CONTRACT: a file of the user\n');
    fs.symlinkSync(outside, path.join(dir, 'interfaces', 'api.interface.md'));
    try {
      const view = conflictGateView(record([{ change: { kind: 'interface', key: 'api', text: '# api\n' }, reason: 'r' }]), locks, dir);
      assert.ok(!view.markdown.includes('NOT A CONTRACT'), view.markdown);
      assert.match(view.summary, /Change: interface api \[unlocked\]: replaces a file that is not a regular one \(not shown\)/);
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });

  it('fences model text with a fence longer than any it holds, so it opens no heading or block of its own', () => {
    const view = conflictGateView(record([{ change: { kind: 'interface', key: 'core', text: 'x' }, reason: 'r' }]), locks, dir);
    assert.ok(view.markdown.includes("## The builder's report\n\n````text\nBLOCKED: api needs Postgres\n```\n# not a heading of the proposal\n```\n````"));
    assert.equal(fenced('a ````` b'), '``````text\na ````` b\n``````');
    assert.equal(fenced('plain'), '```text\nplain\n```');
    // Many runs of backticks (a builder's report is model text): no argument-count overflow.
    assert.ok(fenced('` '.repeat(300_000)).startsWith('```text\n'));
  });
});
