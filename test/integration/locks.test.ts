import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { changeContract, changeContractTool, checkLock, historyOf, LockError, readAudit, readLocksFile, type Actor } from '../../src/core/locks';
import { contractSet } from '../../src/scripted/projects/contracts';
import { samplePlan } from '../../src/scripted/projects/plan';
import { runScriptedAgent } from '../support/scriptedAgent';

/** The sample project's contracts in a real git repository: 001-module-system is locked by the architect, 002-input-validation critical. */
function contractsRepo(): { root: string; dir: string; git: (...a: string[]) => string; cleanup: () => void } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-locks-')));
  const dir = path.join(root, '.orchestration/contracts');
  for (const [rel, text] of contractSet(samplePlan()).files) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x.invalid', ...args], { cwd: root, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'contracts');
  return { root, dir, git, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

const builder: Actor = { role: 'builder', name: 'builder-greeter-0' };
const qc: Actor = { role: 'qc', name: 'qc-greeter-1' };
const master: Actor = { role: 'master', name: 'master-1' };
const architect: Actor = { role: 'architect', name: 'architect' };
const performance: Actor = { role: 'performance', name: 'perf-auditor' };
const human: Actor = { role: 'human', name: 'alice' };

function task(changes: unknown[]): string {
  return `<task-card>\nrole: master\ntask: apply-changes\nproject: greeter-cli\n</task-card>\n\nApply these approved changes.\n<contract-changes>\n${JSON.stringify(changes)}\n</contract-changes>`;
}

describe('trust locks (M12)', function () {
  this.timeout(60_000);
  let repo: ReturnType<typeof contractsRepo>;
  beforeEach(() => (repo = contractsRepo()));
  afterEach(() => repo.cleanup());

  it('the policy: builders and QC never; locked needs the domain, the master or the human; critical needs the human', () => {
    const locked = { kind: 'decision' as const, key: '001-module-system', entry: readLocksFile(repo.dir).decisions['001-module-system'] };
    const critical = { kind: 'decision' as const, key: '002-input-validation', entry: readLocksFile(repo.dir).decisions['002-input-validation'] };
    const open = { kind: 'decision' as const, key: 'x', entry: { ...locked.entry!, lock_level: 'unlocked' as const } };
    const allowed = (a: Actor, i: typeof locked) => checkLock(a, i).allowed;
    assert.deepEqual([builder, qc].map((a) => allowed(a, open)), [false, false]);
    assert.deepEqual([architect, performance, master, human].map((a) => allowed(a, open)), [true, true, true, true]);
    assert.deepEqual([builder, qc, performance, architect, master, human].map((a) => allowed(a, locked)), [false, false, false, true, true, true]);
    assert.deepEqual([builder, architect, { role: 'security', name: 's' }, master, human].map((a) => allowed(a, critical)), [false, false, false, false, true]);
    assert.equal(allowed({ ...master, humanApproval: { by: 'alice', at: '2026-01-01T00:00:00Z' } }, critical), true);
    const refusal = checkLock(performance, locked);
    assert.ok(!refusal.allowed && /decision 001-module-system is locked \(locked by architect\)/.test(refusal.reason), JSON.stringify(refusal));
  });

  it('a builder trying to change a locked decision is refused with the lock named, and the attempt is audited', async () => {
    const before = fs.readFileSync(path.join(repo.dir, 'locks.json'), 'utf8');
    await assert.rejects(
      changeContract(repo.dir, { kind: 'decision', key: '001-module-system', assertion: 'Modules are ES modules.' }, builder, 'I prefer ESM'),
      (e: unknown) => LockError.is(e, 'refused') && /001-module-system is locked \(locked by architect\).*builder agents never modify contracts/.test(e.message),
    );
    assert.equal(fs.readFileSync(path.join(repo.dir, 'locks.json'), 'utf8'), before);
    const [entry] = historyOf(repo.dir, 'decision', '001-module-system');
    assert.equal(entry?.outcome, 'refused');
    assert.equal(entry?.who.role, 'builder');
    assert.equal(entry?.reason, 'I prefer ESM');
    assert.deepEqual(entry?.new, { assertion: 'Modules are ES modules.' });
  });

  it('through the SDK: the master changes a locked decision (applied, audited) and is refused a critical one without the human', async () => {
    const changes = [
      { change: { kind: 'decision', key: '001-module-system', assertion: 'Modules are CommonJS; tests use node:test and live in test/.' }, reason: 'conflict greeter-tests-folder' },
      { change: { kind: 'decision', key: '002-input-validation', lock_level: 'locked' }, reason: 'validation is slow' },
    ];
    const clock = () => new Date('2026-03-04T05:06:07Z');
    const run = await runScriptedAgent({ role: 'master', task: task(changes), tools: [changeContractTool(repo.dir, master, { now: clock })] });
    assert.match(run.finalText, /1 change\(s\) applied, 1 refused: .*002-input-validation is critical.*human's approval/);
    const locks = readLocksFile(repo.dir);
    assert.equal(locks.decisions['001-module-system']?.assertion, 'Modules are CommonJS; tests use node:test and live in test/.');
    assert.equal(locks.decisions['001-module-system']?.locked_by, 'architect', 'the holder stays');
    assert.equal(locks.decisions['002-input-validation']?.lock_level, 'critical');
    const { entries } = readAudit(repo.dir);
    assert.deepEqual(entries.map((e) => [e.key, e.outcome, e.who.role]), [['001-module-system', 'applied', 'master'], ['002-input-validation', 'refused', 'master']]);
    assert.equal(entries[0]?.at, '2026-03-04T05:06:07.000Z');
    assert.equal((entries[0]?.old as { assertion: string }).assertion, 'Modules are CommonJS with node:test tests next to the code.');
    assert.equal(entries[0]?.reason, 'conflict greeter-tests-folder');
    // Real git sees exactly the one applied change (plus the new audit trail).
    assert.deepEqual(repo.git('status', '--porcelain').split('\n').map((l) => l.trim()).sort(), ['?? .orchestration/contracts/locks-audit.jsonl', 'M .orchestration/contracts/locks.json']);
  });

  it('the master with the human’s approval changes a critical decision; the approval is in the audit trail', async () => {
    const approved: Actor = { ...master, humanApproval: { by: 'alice', at: '2026-03-04T00:00:00Z' } };
    const changes = [{ change: { kind: 'decision', key: '002-input-validation', assertion: 'All public inputs are validated with the documented errors, including empty strings; no secrets in code.' }, reason: 'conflict accepted at the gate' }];
    const run = await runScriptedAgent({ role: 'master', task: task(changes), tools: [changeContractTool(repo.dir, approved)] });
    assert.match(run.finalText, /1 change\(s\) applied, 0 refused/);
    const [entry] = historyOf(repo.dir, 'decision', '002-input-validation');
    assert.equal(entry?.outcome, 'applied');
    assert.equal(entry?.who.approvedBy, 'alice');
    assert.equal(entry?.level, 'critical');
  });

  it('a change that would break the contracts is rolled back; a new ADR cannot overwrite an old one', async () => {
    const file = path.join(repo.dir, 'locks.json');
    const before = fs.readFileSync(file, 'utf8');
    await assert.rejects(
      changeContract(repo.dir, { kind: 'decision', key: '001-module-system', affects: ['nosuchmodule'] }, human, 'widen'),
      (e: unknown) => LockError.is(e, 'invalid') && /nosuchmodule.*rolled back/.test(e.message),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    await assert.rejects(changeContract(repo.dir, { kind: 'adr', key: '001-module-system', text: '# ADR-001: x\n' }, master, 'rewrite'), /ADRs are not rewritten/);
    await assert.rejects(changeContract(repo.dir, { kind: 'interface', key: '../../etc', text: 'x' }, human, 'escape'), /interface key/);
    const outcomes = readAudit(repo.dir).entries.map((e) => e.outcome);
    assert.deepEqual(outcomes, ['invalid', 'refused', 'refused']);
  });

  it('a new ADR written before a kill cut its audit entry: applied again it is audited once, not refused as a rewrite', async () => {
    const text = '# ADR-003: Length in code points\n## Status: Accepted\n';
    await changeContract(repo.dir, { kind: 'adr', key: '003-length-units', text }, master, 'conflict greeter-1: records the resolution');
    // The kill: the ADR is on disk, its audit line is not.
    const auditFile = path.join(repo.dir, 'locks-audit.jsonl');
    fs.writeFileSync(auditFile, '');
    await changeContract(repo.dir, { kind: 'adr', key: '003-length-units', text }, master, 'conflict greeter-1: records the resolution');
    await changeContract(repo.dir, { kind: 'adr', key: '003-length-units', text: text + '\n' }, master, 'conflict greeter-1: records the resolution');
    assert.deepEqual(readAudit(repo.dir).entries.map((e) => `${e.item} ${e.outcome}`), ['adr 003-length-units applied']);
    // Other text under that name is still a rewrite, and a builder is still refused.
    await assert.rejects(changeContract(repo.dir, { kind: 'adr', key: '003-length-units', text: '# ADR-003: other\n' }, master, 'rewrite'), /ADRs are not rewritten/);
    await assert.rejects(changeContract(repo.dir, { kind: 'adr', key: '003-length-units', text }, builder, 'same'), /never modify contracts/);
  });

  it('a torn or hand-edited audit line is skipped and counted, never fatal', async () => {
    await changeContract(repo.dir, { kind: 'decision', key: '001-module-system', assertion: 'Still CommonJS.' }, architect, 'wording');
    fs.appendFileSync(path.join(repo.dir, 'locks-audit.jsonl'), '{"at": "torn\n');
    const read = readAudit(repo.dir);
    assert.equal(read.entries.length, 1);
    assert.equal(read.skipped, 1);
  });
});
