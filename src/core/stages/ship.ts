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
import { commitAll, diffRange, headCommit } from '../git';
import { shipGateText, shipIntoBase } from '../ship/shipIntoBase';
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
  const harden = hardenCounts(ctx);
  const verdicts = s.modules.map((m) => `${m.name} ${m.verdict ?? '-'}`).join(', ');
  const gate = shipGateText({
    integrationBranch: s.integrationBranch,
    baseBranch: s.baseBranch,
    scope: `${s.modules.length} modules`,
    changed: /(\d+) file\(s\) changed/.exec(text)?.[1] ?? '?',
    tests: /\*\*(pass|FAIL)\*\*/.exec(text)?.[1] ?? 'not run',
    facts: [`Modules: ${verdicts}`, `Harden: ${harden ? `${harden.CRITICAL} critical, ${harden.MAJOR} major, ${harden.MINOR} minor` : 'did not run'}`],
    costUsd: s.costUsd,
  });
  return { ...gate, openPath: file };
}

async function mergeApproved(ctx: PipelineContext): Promise<StageResult> {
  const s = ctx.store.state;
  if (s.shipped) return { status: 'done', detail: `shipped into ${s.shipped.branch} as ${s.shipped.commit.slice(0, 12)}` };
  const outcome = await shipIntoBase({
    repoRoot: s.repoRoot,
    runId: s.runId,
    baseBranch: s.baseBranch,
    baseCommit: s.baseCommit,
    integrationBranch: s.integrationBranch,
    worktreesDir: ctx.store.paths.worktrees,
    reportsDir: ctx.store.paths.conflicts,
    title: s.description,
    testCommand: ctx.config.integrationTestCommand ?? integrationTestCommand(ctx),
    runTests: async (wt) => {
      const r = await runCommand(integrationTestCommand(ctx), wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
      return { ok: r.exitCode === 0 && !r.timedOut, output: r.output };
    },
    log: (level, message) => ctx.store.emit({ type: 'log', level, message }),
  });
  if (outcome.status !== 'done') return outcome.status === 'halted' ? { status: 'halted', reason: outcome.reason } : { status: 'awaiting-approval', gate: 'ship', reason: outcome.reason };
  ctx.store.update((st) => (st.shipped = outcome.shipped));
  return { status: 'done', detail: outcome.detail };
}
