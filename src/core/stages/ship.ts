/**
 * Stage 6, ship (SPEC M10) and the second gate (M3). A shipping agent writes the release notes of
 * what was built (README section, CHANGELOG entry, version bump) on the integration branch; the engine
 * commits, runs the full test suite once more and prepares the gate's summary (modules, verdicts,
 * harden findings, tests, diff against the base, cost). On approval the integration branch is merged
 * into the branch the run started from (git/shipMerge.ts); a dirty tree, a conflict or red tests on a
 * moved base send the run back to the gate with the reason, having changed nothing.
 */
import { integrationTestCommand } from './moduleTestCommand';
import { roleShell } from '../sandbox/stageShell';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { fileTools, reportOutcomeTool, type ResultSlot } from '../agents/tools';
import type { BuilderOutcome } from '../contracts/schemas';
import { commitAll, diffRange, headCommit, mergeIntoBase } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { runCommand } from '../shell';
import { addUsage } from '../usage';
import { toolObserver } from './architect';
import { CONTRACTS_REL } from './contracts';
import { agentAuthor, type PipelineContext, type Stage, type StageResult } from './context';
import { runRoleAgent } from './roleAgent';
import { hardenCounts } from './hardenSummary';

export const SHIP_WRITABLE = ['README.md', 'CHANGELOG.md', 'package.json', 'pyproject.toml', 'VERSION', 'docs/'];

export const shipStage: Stage = {
  id: 'ship',
  title: 'Ship',
  run: runShip,
  gateAfter: { id: 'ship', describe: describeShipGate },
  afterApproval: mergeApproved,
};

function shipSummaryFile(ctx: PipelineContext): string {
  return path.join(ctx.store.paths.runDir, 'ship.md');
}

async function runShip(ctx: PipelineContext, feedback?: string): Promise<StageResult> {
  if (ctx.store.state.shipped) return { status: 'done', detail: `already shipped into ${ctx.store.state.shipped.branch}` };
  const wt = ctx.store.paths.integrationWorktree;
  const attempt = ctx.store.stage('ship').attempts;
  const agentId = `shipper-${attempt}`;
  const observe = toolObserver(ctx, agentId);
  const slot: ResultSlot<BuilderOutcome> = {};
  const manifest = ctx.contracts().manifest;
  const tools = [
    ...fileTools(
      ['bash', 'read', 'write', 'edit', 'glob', 'grep'],
      { workdir: wt, readOnlyRoots: [path.join(wt, CONTRACTS_REL)], writable: SHIP_WRITABLE, ...roleShell(ctx, wt, 'shipper', 'writes-worktree') },
      observe,
    ),
    reportOutcomeTool(slot, observe),
  ];
  const result = await runRoleAgent(ctx, {
    agentId,
    role: 'shipper',
    stage: 'ship',
    tier: ctx.config.roleTiers.shipper,
    tools,
    vars: {
      contracts_bundle: ctx.contracts().bundle,
      project_name: manifest.project,
      modules: manifest.modules.map((m) => m.name).join(', '),
      writable: SHIP_WRITABLE.join(', '),
      feedback: feedback ? `<gate-feedback>\n${feedback}\n</gate-feedback>\nThe human asked for these changes at the ship gate; make them.` : 'No feedback yet: this is the first release preparation.',
    },
    isComplete: () => slot.value !== undefined,
    nudge: 'You have not called report_outcome. Call it now with status "done" and a one-line summary of the release.',
  });
  ctx.store.update((s) => addUsage(s.stages.find((x) => x.id === 'ship')!.usage, result.usage));
  if (!slot.value || slot.value.status !== 'done') return { status: 'halted', reason: `the shipping agent did not finish: ${slot.value?.summary ?? result.finalText.slice(0, 300)}` };
  await commitAll(wt, `ship: release notes, changelog and version (${slot.value.summary.slice(0, 72)})`, agentAuthor('shipper'), SHIP_WRITABLE);

  // The whole suite once more, on exactly what would be merged.
  const tests = await runCommand(integrationTestCommand(ctx), wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
  const passed = tests.exitCode === 0 && !tests.timedOut;
  await writeShipSummary(ctx, passed, tests.output);
  if (!passed) return { status: 'halted', reason: `the full test suite failed after the release changes (see ${shipSummaryFile(ctx)})` };
  return { status: 'done', detail: `release prepared: ${slot.value.summary.slice(0, 200)}` };
}

async function writeShipSummary(ctx: PipelineContext, testsPassed: boolean, testOutput: string): Promise<void> {
  const s = ctx.store.state;
  const head = await headCommit(ctx.store.paths.integrationWorktree);
  const diff = await diffRange(s.repoRoot, s.baseCommit, head);
  const harden = hardenCounts(ctx);
  const lines = [
    `# Ship ${s.integrationBranch} → ${s.baseBranch}`,
    '',
    '## Modules',
    '',
    '| module | status | QC verdict | fix cycles |',
    '|---|---|---|---|',
    ...s.modules.map((m) => `| ${m.name} | ${m.status} | ${m.verdict ?? '-'} | ${m.fixCycles} |`),
    '',
    `## Harden findings`,
    '',
    harden ? `${harden.CRITICAL} critical, ${harden.MAJOR} major, ${harden.MINOR} minor` : 'Harden did not run.',
    '',
    '## Tests',
    '',
    `\`${ctx.config.integrationTestCommand}\` on the release commit: **${testsPassed ? 'pass' : 'FAIL'}**`,
    ...(testsPassed ? [] : ['', '```', testOutput.slice(-4000), '```']),
    '',
    `## Changes against ${s.baseBranch} (${s.baseCommit.slice(0, 12)})`,
    '',
    `${diff.length} file(s) changed:`,
    ...diff.slice(0, 40).map((f) => `- ${f.status} ${f.path}`),
    ...(diff.length > 40 ? [`- … and ${diff.length - 40} more`] : []),
    '',
    `## Cost so far`,
    '',
    `≈ $${s.costUsd.toFixed(4)} (${s.usage.input} input, ${s.usage.output} output tokens)`,
    '',
    '<!-- DONE -->',
    '',
  ];
  writeFileAtomic(shipSummaryFile(ctx), lines.join('\n'));
  ctx.store.update((st) => (st.stages.find((x) => x.id === 'ship')!.detail = `${diff.length} files changed; tests ${testsPassed ? 'pass' : 'fail'}`));
}

function describeShipGate(ctx: PipelineContext): { title: string; summary: string; openPath?: string } {
  const s = ctx.store.state;
  const file = shipSummaryFile(ctx);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const changed = /(\d+) file\(s\) changed/.exec(text)?.[1] ?? '?';
  const tests = /\*\*(pass|FAIL)\*\*/.exec(text)?.[1] ?? 'not run';
  const harden = hardenCounts(ctx);
  const verdicts = s.modules.map((m) => `${m.name} ${m.verdict ?? '-'}`).join(', ');
  return {
    title: `Ship ready: merge ${s.integrationBranch} into ${s.baseBranch}? (${s.modules.length} modules, ${changed} files, tests ${tests})`,
    summary: [
      `Modules: ${verdicts}`,
      `Harden: ${harden ? `${harden.CRITICAL} critical, ${harden.MAJOR} major, ${harden.MINOR} minor` : 'did not run'}`,
      `Tests: ${tests}; ${changed} files changed against ${s.baseBranch}; cost so far ≈ $${s.costUsd.toFixed(2)}`,
      `Approve merges with --no-ff into ${s.baseBranch} (only if its checkout is clean); Reject leaves ${s.integrationBranch} for you.`,
    ].join('\n'),
    openPath: file,
  };
}

async function mergeApproved(ctx: PipelineContext): Promise<StageResult> {
  const s = ctx.store.state;
  if (s.shipped) return { status: 'done', detail: `shipped into ${s.shipped.branch} as ${s.shipped.commit.slice(0, 12)}` };
  if (s.baseBranch === '(detached)') return { status: 'halted', reason: `the run started on a detached HEAD, so there is no branch to ship into; merge ${s.integrationBranch} yourself` };
  const outcome = await mergeIntoBase({
    repoRoot: s.repoRoot,
    baseBranch: s.baseBranch,
    integrationBranch: s.integrationBranch,
    baseCommitAtStart: s.baseCommit,
    stagingWorktree: path.join(ctx.store.paths.worktrees, 'ship'),
    stagingBranch: `${s.integrationBranch.replace(/\/integration$/, '')}/ship`,
    message: `Merge ${s.integrationBranch}: ${s.description.split('\n')[0]!.slice(0, 60)} (build-pipeline run ${s.runId})`,
    testMergeResult: async (wt) => {
      const r = await runCommand(integrationTestCommand(ctx), wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
      return { ok: r.exitCode === 0 && !r.timedOut, output: r.output };
    },
  });
  const report = (name: string, body: string) => {
    const file = path.join(ctx.store.paths.conflicts, name);
    writeFileAtomic(file, `${body}\n<!-- DONE -->\n`);
    return file;
  };
  switch (outcome.status) {
    case 'merged':
    case 'alreadyMerged': {
      const previousHead = outcome.status === 'merged' ? outcome.previousHead : s.baseCommit;
      ctx.store.update((st) => (st.shipped = { branch: st.baseBranch, commit: outcome.commit, previousHead, at: new Date().toISOString() }));
      ctx.store.emit({ type: 'log', level: 'info', message: `shipped: ${s.integrationBranch} merged into ${s.baseBranch} as ${outcome.commit.slice(0, 12)}` });
      return { status: 'done', detail: `shipped into ${s.baseBranch} as ${outcome.commit.slice(0, 12)}` };
    }
    case 'dirtyTree': {
      const reason =
        `not merged: ${s.baseBranch} is checked out in ${outcome.tree}, which has uncommitted changes (${outcome.files.slice(0, 20).join(', ')}` +
        `${outcome.files.length > 20 ? `, … ${outcome.files.length - 20} more` : ''}). Nothing was changed. Commit or stash them, then resume to answer the ship gate again.`;
      ctx.store.emit({ type: 'log', level: 'warn', message: reason });
      return { status: 'awaiting-approval', gate: 'ship', reason };
    }
    case 'conflict': {
      const file = report('ship-merge.md', `# Ship merge conflict\n\n${s.baseBranch} moved since the run started and merging ${s.integrationBranch} into it conflicts in:\n\n${outcome.files.map((f) => `- ${f}`).join('\n')}\n`);
      const reason = `not merged: ${s.baseBranch} moved and the merge conflicts in ${outcome.files.join(', ')} (report: ${file}); resolve on the base branch, then resume`;
      ctx.store.emit({ type: 'log', level: 'warn', message: reason });
      return { status: 'awaiting-approval', gate: 'ship', reason };
    }
    case 'testsFailed': {
      const file = report('ship-merge.md', `# Ship merge: tests fail on the merge result\n\n${s.baseBranch} moved since the run started; the merge is clean but \`${ctx.config.integrationTestCommand}\` fails on it:\n\n\`\`\`\n${outcome.output.slice(-4000)}\n\`\`\`\n`);
      const reason = `not merged: ${s.baseBranch} moved and the tests fail on the merge result (report: ${file})`;
      ctx.store.emit({ type: 'log', level: 'warn', message: reason });
      return { status: 'awaiting-approval', gate: 'ship', reason };
    }
    case 'baseMoved': {
      const reason = `not merged: ${s.baseBranch} moved while the merge was being prepared; resume to try again`;
      ctx.store.emit({ type: 'log', level: 'warn', message: reason });
      return { status: 'awaiting-approval', gate: 'ship', reason };
    }
  }
}
