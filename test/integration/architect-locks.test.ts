import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contractSet } from '../../src/scripted/projects/contracts';
import { samplePlan } from '../../src/scripted/projects/plan';
import type { GateHandler, GateRequest } from '../../src/core/api';
import type { ReceivedRequest } from '../../src/scripted';
import type { PipelineEvent } from '../../src/core/events';
import { makeCleanRepo, runPipeline, type TestRepo } from './harness';

const CONTRACTS = '.orchestration/contracts';

/**
 * The repository as an earlier run (and a security review after it) left it: the sample's contracts
 * on main, with a critical decision and the greeter interface amended, the interface locked
 * (critical) by security, an assertion the architect itself locked reworded, and one audit line.
 */
function withEarlierContracts(repo: TestRepo): { critical: string; adr: string; iface: string; audit: string } {
  const files = new Map(contractSet(samplePlan()).files);
  const locks = JSON.parse(files.get('locks.json')!) as { decisions: Record<string, { assertion: string }>; interfaces: Record<string, unknown> };
  locks.decisions['002-input-validation']!.assertion = 'Every public input is validated; the security review of the earlier run settled the messages.';
  locks.decisions['001-module-system']!.assertion = 'Modules were CommonJS in the earlier run.';
  locks.interfaces['greeter'] = { locked_by: 'security', lock_level: 'critical', category: 'security', affects: ['greeter'], assertion: 'The greeter interface is frozen by the security review.', locked_at: '2026-11-01T00:00:00Z' };
  files.set('locks.json', JSON.stringify(locks, null, 2) + '\n');
  const adr = `${files.get('decisions/002-input-validation.md')!.trimEnd()}\n\nAmended by the security review of the earlier run.\n`;
  files.set('decisions/002-input-validation.md', adr);
  const iface = `${files.get('interfaces/greeter.interface.md')!.trimEnd()}\n\nFrozen by the security review of the earlier run.\n`;
  files.set('interfaces/greeter.interface.md', iface);
  const audit = JSON.stringify({ at: '2026-11-01T00:00:00Z', who: { role: 'human', name: 'alice' }, item: 'interface greeter', kind: 'interface', key: 'greeter', level: 'unlocked', outcome: 'applied', reason: 'security review' }) + '\n';
  files.set('locks-audit.jsonl', audit);
  for (const [rel, text] of files) {
    fs.mkdirSync(path.dirname(path.join(repo.root, CONTRACTS, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo.root, CONTRACTS, rel), text);
  }
  repo.git('add', CONTRACTS);
  repo.git('commit', '-q', '-m', 'contracts of an earlier run, amended by a security review');
  return { critical: locks.decisions['002-input-validation']!.assertion, adr, iface, audit };
}

describe('the architect on a repository with contracts from earlier runs (M12)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  afterEach(() => repo.cleanup());

  it('a change to a critical or another domain’s locked item, or to an existing ADR, is undone; an allowed one is audited once', async () => {
    repo = makeCleanRepo();
    const earlier = withEarlierContracts(repo);
    // The scripted architect writes its whole contract set again, over every one of these; asked for
    // changes at the blueprint gate, it writes it all once more.
    let asked = 0;
    const gate = (async (req: GateRequest) => (req.gate === 'blueprint' && asked++ === 0 ? { decision: 'changes', feedback: 'Name the errors once more.' } : { decision: 'approve' })) as unknown as GateHandler;
    const requests: ReceivedRequest[] = [];
    // What a stopped architect's shell may have left: a forged line in the audit trail of the worktree.
    const forge = (e: PipelineEvent) => {
      if (e.type !== 'stage-started' || e.stage !== 'architect') return;
      const runs = path.join(repo.root, '.git', 'build-pipeline', 'runs');
      const audit = path.join(runs, fs.readdirSync(runs)[0]!, 'worktrees', 'integration', CONTRACTS, 'locks-audit.jsonl');
      fs.appendFileSync(audit, JSON.stringify({ at: '2026-11-02T00:00:00Z', who: { role: 'human', name: 'forged' }, item: 'decision 002-input-validation', kind: 'decision', key: '002-input-validation', level: 'critical', outcome: 'applied', reason: 'forged' }) + '\n');
    };
    const { result, events } = await runPipeline(repo, { gate, scenario: { onRequest: (r) => requests.push(r) }, onEvent: forge, config: { stopAfter: 'architect' } });
    assert.equal(asked, 2, 'the blueprint was revised once');
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const show = (rel: string) => repo.git('show', `${result.state.integrationBranch}:${CONTRACTS}/${rel}`) + '\n';

    const locks = JSON.parse(show('locks.json')) as { decisions: Record<string, { assertion: string; lock_level: string }>; interfaces: Record<string, { locked_by: string }> };
    assert.equal(locks.decisions['002-input-validation']!.assertion, earlier.critical, 'the critical decision is as the run found it');
    assert.equal(locks.interfaces['greeter']?.locked_by, 'security', "the security domain's lock on the interface is still there");
    assert.equal(show('decisions/002-input-validation.md'), earlier.adr, 'the existing ADR was not rewritten');
    assert.equal(show('interfaces/greeter.interface.md'), earlier.iface, 'the locked interface was not rewritten');
    // The architect holds 001's lock: its rewording stands, and is in the audit trail.
    assert.equal(locks.decisions['001-module-system']!.assertion, 'Modules are CommonJS with node:test tests next to the code.');

    const auditLines = show('locks-audit.jsonl').trim().split('\n');
    assert.equal(auditLines[0] + '\n', earlier.audit, 'the earlier audit line is kept as it was');
    const added = auditLines.slice(1).map((l) => JSON.parse(l) as { item: string; who: { role: string }; outcome: string });
    assert.deepEqual(added.map((e) => `${e.item} ${e.who.role} ${e.outcome}`), ['decision 001-module-system architect applied']);

    const undone = events.filter((e) => e.type === 'containment').map((e) => (e as { detail: string }).detail).join('\n');
    assert.match(undone, /decision 002-input-validation is critical/);
    assert.match(undone, /interface greeter is critical \(locked by security\)/);
    assert.match(undone, /ADR decisions\/002-input-validation\.md existed when the run started/);
    // The architect is told, so the rest of its blueprint can be made to fit what stands.
    assert.ok(requests.some((r) => JSON.stringify(r.messages).includes('<restored-contracts>')), 'the architect was told what was undone');
  });
});
