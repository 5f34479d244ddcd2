/**
 * Carrying out an approved resolution (M13). Every step is recorded in the conflict record before
 * the next starts, so a run killed half-way resumes after the last finished step:
 * 1. the contract changes, through the lock check and audit trail (src/core/locks), with the master
 *    acting on the human's approval; what they replace is archived in memory (L3);
 * 2. the ADR that records the resolution (also through the lock function);
 * 3. one engine commit of the contracts on the integration branch; new module worktrees start there;
 * 4. every affected module that has a branch gets the new contracts merged in and a notice in its
 *    builder's brain file; modules that already passed are graded again by QC against the new
 *    contract and rebuilt (fix cycle with the findings) if they fail.
 * The paused module itself then resumes in the build stage with the decision as input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { changeContract, LockError, readAudit, type Actor } from '../locks';
import { ADR_FILE_PATTERN } from '../contracts/validator';
import { passedQc } from '../contracts/schemas';
import { brainRel } from '../memory/brain';
import { supersededRecord } from '../memory/runMemory';
import { commitAll, headCommit, mergeNoFf, abortMerge, removeWorktree } from '../git';
import { CONTRACTS_REL } from '../stages/contracts';
import { ENGINE_AUTHOR, type PipelineContext } from '../stages/context';
import { prepareModuleWorktree } from '../stages/moduleWorktree';
import { runQc } from '../stages/qc';
import { findingsForBuilder, writeQcReport } from '../stages/qcReport';
import { appendAgentFileOnce } from '../agents/agentFiles';
import { developModule, moduleAtRest } from '../stages/build';
import { SENT_BY } from '../stages/fixRequest';
import { saveRecord, type ConflictRecord } from './resolution';
import { scrubJson } from '../run/scrub';

export function resolutionText(r: ConflictRecord): string {
  const res = r.resolution!;
  const changes = res.contract_changes.map((c) => `- ${c.change.kind} ${c.change.key}: ${c.reason}`).join('\n') || '- none (the contract stands)';
  return [
    `Conflict ${r.module}-${r.issue} was resolved: ${res.recommendation === 'flex-contract' ? 'the contract was changed' : 'the contract stands and the builder adapts'} (${r.adr ?? 'ADR pending'}).`,
    `Rationale: ${res.rationale}`,
    `Contract changes:\n${changes}`,
    `Instructions for the builder: ${res.builder_instructions}`,
  ].join('\n');
}

function nextAdrNumber(contractsDir: string): string {
  const used = fs.readdirSync(path.join(contractsDir, 'decisions')).map((n) => ADR_FILE_PATTERN.exec(n)?.[1]).filter((n): n is string => !!n).map(Number);
  return String((used.length ? Math.max(...used) : 0) + 1).padStart(3, '0');
}

function adrText(r: ConflictRecord, number: string): string {
  const res = r.resolution!;
  return [
    `# ADR-${number}: ${res.adr.title}`,
    '## Status: Accepted',
    '## Context',
    `The builder of ${r.module} reported contract conflict "${r.issue}" and stopped. The master evaluated it; ${r.decision?.by ?? 'the human'} approved the resolution at the conflict gate on ${r.decision?.at ?? 'an unknown date'}.`,
    '## Decision',
    res.adr.decision,
    '## Alternatives Considered',
    res.recommendation === 'flex-contract' ? 'Adapting the builder to the contract as written (rejected: see the rationale).' : 'Changing the contract (rejected: see the rationale).',
    `Rationale: ${res.rationale}`,
    '## Consequences',
    `Affected modules: ${res.affected_modules.join(', ') || 'none'}. Affected locks: ${res.affected_locks.join(', ') || 'none'}.`,
    '',
  ].join('\n');
}

export async function applyResolution(ctx: PipelineContext, record: ConflictRecord): Promise<void> {
  // Scrubbed when the master submitted it (resolve.ts); again here for a record saved before that was so.
  record.resolution = scrubJson(record.resolution!, ctx.store.scrub);
  const res = record.resolution;
  const wt = ctx.store.paths.integrationWorktree;
  const dir = path.join(wt, CONTRACTS_REL);
  const conflictsDir = ctx.store.paths.conflicts;
  const actor: Actor = { role: 'master', name: `master-${record.module}-${record.issue}`, humanApproval: { by: record.decision!.by, at: record.decision!.at } };
  const archive = (applied: { item: string; old: unknown; new: unknown }, reason: string) => void ctx.memory.archive(supersededRecord(applied, reason, new Date()));
  const why = (reason: string) => `conflict ${record.module}-${record.issue}: ${reason}`;

  // A run killed after a change was audited but before the record said so must not apply it twice:
  // the audit trail is what happened, so a change it already shows applied by this master since the
  // approval is skipped. Since the approval: the trail also holds earlier runs' resolutions, and a
  // later run's conflict of the same module and issue has the same master name and reasons.
  const approvedAt = Date.parse(record.decision!.at);
  const audited = readAudit(dir).entries.filter((e) => e.outcome === 'applied' && e.who.name === actor.name && !(Date.parse(e.at) < approvedAt));
  for (let i = record.appliedChanges; i < res.contract_changes.length; i++) {
    const c = res.contract_changes[i]!;
    if (audited.some((e) => e.kind === c.change.kind && e.key === c.change.key && e.reason === why(c.reason))) {
      record.appliedChanges = i + 1;
      saveRecord(conflictsDir, record);
      continue;
    }
    try {
      await changeContract(dir, c.change, actor, why(c.reason), { onSuperseded: archive });
    } catch (e) {
      if (LockError.is(e)) throw new Error(`the approved resolution of ${record.module}-${record.issue} could not be applied: ${e.message}`);
      throw e;
    }
    record.appliedChanges = i + 1;
    saveRecord(conflictsDir, record);
  }

  if (!record.adr) {
    record.adr = `${nextAdrNumber(dir)}-${res.adr.topic}`.slice(0, 80).replace(/-+$/, '');
    saveRecord(conflictsDir, record);
  }
  if (!fs.existsSync(path.join(dir, 'decisions', `${record.adr}.md`))) {
    await changeContract(dir, { kind: 'adr', key: record.adr, text: adrText(record, record.adr.slice(0, 3)) }, actor, why('records the resolution'));
  }
  const commit = await commitAll(wt, `contracts: resolve conflict ${record.module}-${record.issue} (${res.recommendation}, ADR ${record.adr})`, ENGINE_AUTHOR, [CONTRACTS_REL]);
  if (commit) ctx.store.update((s) => (s.scaffoldCommit = commit)); // new module worktrees start from the new contracts
  await ctx.reloadContracts();
  ctx.store.emit({ type: 'log', level: 'info', message: `conflict ${record.module}-${record.issue}: ${res.recommendation} applied, ADR ${record.adr}` });
  ctx.store.emit({ type: 'contracts-changed', reason: `conflict ${record.module}-${record.issue} resolved (ADR ${record.adr})` });

  const affected = [...new Set([record.module, ...res.affected_modules])];
  for (const module of affected) {
    if (record.notified.includes(module)) continue;
    await tellModule(ctx, record, module);
    record.notified.push(module);
    saveRecord(conflictsDir, record);
  }
  record.status = 'resolved';
  saveRecord(conflictsDir, record);
}

/** The notice appended to a builder's brain file: what changed and what it means for that module. */
function brainNotice(record: ConflictRecord, module: string): string {
  const res = record.resolution!;
  return [
    '',
    `## Contract notice: conflict ${record.module}-${record.issue} (${record.adr})`,
    res.recommendation === 'flex-contract'
      ? `The contract changed: ${res.contract_changes.map((c) => `${c.change.kind} ${c.change.key}`).join(', ')}. Re-read it before any further work.`
      : `The contract of ${record.module} stands; its builder adapts.`,
    module === record.module ? `What to do: ${res.builder_instructions}` : `Why it concerns ${module}: it is named among the affected modules. ${res.rationale}`,
    '',
  ].join('\n');
}

async function tellModule(ctx: PipelineContext, record: ConflictRecord, module: string): Promise<void> {
  // Assembly may have the module back with its builder (it streams from the build): its worktree is
  // the builder's until that fix cycle ends. Then it is passed again and is re-checked below.
  await moduleAtRest(ctx, module);
  // That wait can last a whole fix cycle: stopped meanwhile, nothing is merged or written (the resume
  // tells the module again; a notice appended now would then be there twice).
  if (ctx.signal.aborted) throw new Error(`${record.adr}: stopped before ${module} was told (${String(ctx.signal.reason ?? 'cancelled')})`);
  const state = ctx.store.state.modules.find((m) => m.name === module);
  const spec = ctx.contracts().manifest.modules.find((m) => m.name === module);
  if (!state || !spec) return;
  const hasBranch = state.status === 'passed' || state.status === 'blocked' || !!state.builtCommit;
  if (!hasBranch) return; // not built yet: its worktree will start from the new contracts
  const wt = await prepareModuleWorktree(ctx, spec);
  const merged = await mergeNoFf(wt, ctx.store.state.integrationBranch, `build(${module}): bring in the contracts of ${record.adr}`, ENGINE_AUTHOR);
  if (merged.status === 'conflict') {
    await abortMerge(wt);
    throw new Error(`could not bring the new contracts into ${module}: conflicts in ${merged.files.map((f) => f.path).join(', ')}`);
  }
  // The brain file is the builder's: written as an agent's file, so a symlink it left there (to a shell
  // start-up file, say) is not followed. The builder also gets the resolution in its task. Once only:
  // a resume after a stop during the re-check below finds the notice there (committed, or not yet).
  if (appendAgentFileOnce(wt, brainRel(`${module}-builder`), brainNotice(record, module)) !== 'refused') {
    await commitAll(wt, `memory(${module}): contract notice for ${record.adr}`, ENGINE_AUTHOR, [brainRel(`${module}-builder`)]);
  } else {
    ctx.store.emit({ type: 'log', level: 'warn', message: `${module}: its brain file is not a regular file inside its worktree (a link?); the notice of ${record.adr} was not written there` });
  }
  // What the engine merged and wrote is not the builder's work: the builder's scope check starts after it.
  const base = await headCommit(wt);
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === module)!;
    m.baseCommit = base;
    // The builder's commit ownership resets to the engine's last commit: that is now this one, or the
    // new contracts and the notice would be undone by the next build.
    m.engineHead = base;
  });

  // The paused module resumes in the build stage. A passed module is graded again; so is one that
  // assembly (streaming from the build) has merged already: failing, it is rebuilt and merged again.
  if (!passedQc(state.status)) return;
  const attempt = state.qcAttempts + 1;
  const qc = await runQc(ctx, spec, wt, attempt, '');
  if (!qc.verdict) throw new Error(`QC gave no verdict re-checking ${module} against ${record.adr}`);
  const verdict = qc.verdict;
  const reportPath = writeQcReport(ctx.store.paths.qc, module, verdict, attempt, []);
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === module)!;
    m.qcAttempts = attempt;
    m.verdict = verdict.verdict;
  });
  ctx.store.emit({ type: 'module-verdict', module, verdict, attempt, reportPath });
  if (verdict.verdict === 'PASS') {
    await removeWorktree(ctx.repoRoot, wt, { force: true }).catch(() => undefined);
    ctx.store.update((s) => (s.modules.find((x) => x.name === module)!.worktree = undefined));
    ctx.store.emit({ type: 'worktree-removed', module, path: wt });
    return;
  }
  // Failed against the new contract: rebuilt now, with QC's findings, like any fix cycle.
  const status = await developModule(ctx, spec, { from: SENT_BY.recheck, findings: findingsForBuilder(verdict) });
  if (status !== 'passed') throw new Error(`${module} failed its re-check against ${record.adr} and was not repaired: ${status}`);
}
