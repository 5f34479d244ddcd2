import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listRecords, resolutionProblems, ResolutionSchema, saveRecord, type Resolution } from '../../src/core/conflicts/resolution';
import type { Locks, ModulesManifest } from '../../src/core/contracts/schemas';

const manifest = {
  project: 'p',
  modules: [
    { name: 'core', description: 'd', depends_on: [], interface: 'interfaces/core.interface.md' },
    { name: 'api', description: 'd', depends_on: ['core'], interface: 'interfaces/api.interface.md' },
  ],
  build_order: ['core', 'api'],
  assembly_order: ['core', 'api'],
} as unknown as ModulesManifest;
const entry = { locked_by: 'architect', lock_level: 'locked' as const, affects: [], assertion: 'x', locked_at: 't' };
const locks: Locks = { decisions: { '001-storage': entry }, interfaces: { core: entry } };

function resolution(over: Partial<Resolution>): Resolution {
  return ResolutionSchema.parse({
    recommendation: 'adapt-builder',
    rationale: 'r',
    affected_modules: ['api'],
    builder_instructions: 'do it',
    adr: { topic: 'conflict-api-x', title: 't', decision: 'd' },
    ...over,
  });
}

describe('contract-conflict resolutions (M13)', () => {
  it('accepts a consistent resolution', () => {
    assert.deepEqual(resolutionProblems(resolution({}), manifest, locks), []);
    const flex = resolution({ recommendation: 'flex-contract', affected_locks: ['001-storage', 'core'], contract_changes: [{ change: { kind: 'decision', key: '001-storage', assertion: 'y' }, reason: 'r' }] });
    assert.deepEqual(resolutionProblems(flex, manifest, locks), []);
  });

  it('names every inconsistency: unknown modules and locks, flex without changes, adapt with changes, ADRs as changes, unknown decisions and interfaces', () => {
    const problems = [
      resolutionProblems(resolution({ affected_modules: ['ghost'] }), manifest, locks),
      resolutionProblems(resolution({ affected_locks: ['999-nothing'] }), manifest, locks),
      resolutionProblems(resolution({ recommendation: 'flex-contract' }), manifest, locks),
      resolutionProblems(resolution({ contract_changes: [{ change: { kind: 'interface', key: 'api', text: 't' }, reason: 'r' }] }), manifest, locks),
      resolutionProblems(resolution({ recommendation: 'flex-contract', contract_changes: [{ change: { kind: 'adr', key: '009-x', text: 't' }, reason: 'r' }] }), manifest, locks),
      resolutionProblems(resolution({ recommendation: 'flex-contract', contract_changes: [{ change: { kind: 'decision', key: '404-gone', assertion: 'y' }, reason: 'r' }] }), manifest, locks),
      resolutionProblems(resolution({ recommendation: 'flex-contract', contract_changes: [{ change: { kind: 'interface', key: '../../../etc/x', text: 't' }, reason: 'r' }] }), manifest, locks),
      resolutionProblems(resolution({ recommendation: 'flex-contract', contract_changes: [{ change: { kind: 'interface', key: 'shared-types', text: 't' }, reason: 'r' }, { change: { kind: 'interface', key: 'core', text: 't' }, reason: 'r' }] }), manifest, locks),
    ].map((p) => p.join(' | '));
    assert.match(problems[0]!, /affected module "ghost" is not in modules.json/);
    assert.match(problems[1]!, /affected lock "999-nothing" is not in locks.json/);
    assert.match(problems[2]!, /flex-contract needs at least one contract change/);
    assert.match(problems[3]!, /adapt-builder changes no contract/);
    assert.match(problems[4]!, /ADRs are not contract_changes/);
    assert.match(problems[5]!, /decision "404-gone" is not in locks.json/);
    assert.match(problems[6]!, /interface "..\/..\/..\/etc\/x" is not a module's/);
    assert.equal(problems[7], '', 'shared-types and a module name are interfaces');
  });

  it('rejects a hostile ADR topic, and a title that would write the ADR\'s sections below its heading, at the schema', () => {
    assert.throws(() => resolution({ adr: { topic: '../../etc/passwd', title: 't', decision: 'd' } }));
    for (const title of ['Fine\n## Status: Rejected', 'cr\rhere', 'ls\u2028here']) {
      assert.throws(() => resolution({ adr: { topic: 'conflict-x', title, decision: 'd' } }), /one line/, JSON.stringify(title));
    }
    assert.equal(resolution({ adr: { topic: 'conflict-x', title: 'One line: fine', decision: 'd\n\nmore' } }).adr.title, 'One line: fine');
  });

  it('conflict records survive on disk; a torn record is skipped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-conf-'));
    saveRecord(dir, { module: 'api', issue: 'x', reportPath: 'r', report: 'text', status: 'open', appliedChanges: 0, notified: [], feedback: [], openedAt: 't' });
    fs.writeFileSync(path.join(dir, 'core-y.json'), '{"module": ');
    assert.deepEqual(listRecords(dir).map((r) => `${r.module}:${r.status}`), ['api:open']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
