/**
 * Stage 6, ship (SPEC M10) and the second gate (M3). A shipping agent writes the release notes of
 * what was built (README section, CHANGELOG entry, version bump) on the integration branch; the engine
 * commits, runs the full test suite once more and prepares the gate's summary (modules, verdicts,
 * harden findings, tests, diff against the base, cost). The run's memory, curated by Stage 7 just
 * before, is committed with the release, so it ships too. On approval the integration branch is merged
 * into the branch the run started from (git/shipMerge.ts); a dirty tree, a conflict or red tests on a
 * moved base send the run back to the gate with the reason, having changed nothing.
 */
import { integrationTestCommand } from './moduleTestCommand';
import { z } from 'zod';
import { roleShell } from '../sandbox/stageShell';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileTools, isWritable, reportOutcomeTool, type ResultSlot } from '../agents/tools';
import type { BuilderOutcome } from '../contracts/schemas';
import { commitOwnedChanges, describeOwnership, diffRange, headCommit } from '../git';
import { committedManifests, keepVersionChangesOnly } from '../ship/releaseManifest';
import { noBranchToShipInto, shipGateText, shipInputFor, shipIntoBase, shippedUnrecorded } from '../ship/shipIntoBase';
import { writeFileAtomic } from '../run/runDir';
import { toolObserver } from './architect';
import { CONTRACTS_REL } from './contracts';
import { agentAuthor, type PipelineContext, type Stage, type StageResult } from './context';
import { runRoleAgent } from './roleAgent';
import { publishStageMemory } from './publishMemory';
import { hardenCounts, hardenOpenIn } from './hardenSummary';
import { modulesNamedIn, refixModule } from './refixModule';
import { curateChangedModules } from './curate';
import { readShipChecks, runShipChecks, verdictOf, type CheckResult, type ShipChecks } from './shipChecks';
import { moduleDirOf } from '../stack/commands';

/**
 * What the shipping agent may change. Documentation under docs/ only by its kind of file: a docs
 * folder also holds what a docs build runs or installs (a Sphinx conf.py, a docusaurus or mkdocs
 * config, plugins, a requirements.txt, a CMakeLists.txt), and nobody reviewed the shipper changing that.
 */
export const SHIP_WRITABLE = ['README.md', 'CHANGELOG.md', 'package.json', 'pyproject.toml', 'VERSION', 'docs/**/*.md', 'docs/**/*.rst', 'docs/**/*.adoc'];

export const shipStage: Stage = {
  id: 'ship',
  title: 'Ship',
  run: runShip,
  gateAfter: { id: 'ship', describe: describeShipGate },
  afterApproval: mergeApproved,
  settledBeforeGate: shippedBeforeRecorded,
};

/** A ship merge that landed before the run could record it: recorded, and the gate is not asked again. */
async function shippedBeforeRecorded(ctx: PipelineContext): Promise<StageResult | undefined> {
  const s = ctx.store.state;
  const shipped = s.shipped ?? (await shippedUnrecorded({ ...s, log: (level, message) => ctx.store.emit({ type: 'log', level, message }) }));
  if (!shipped) return undefined;
  ctx.store.update((st) => {
    st.shipped ??= shipped;
    st.waitingGate = undefined; // the gate is not asked again: no gate row is left on the finished run
  });
  return { status: 'done', detail: `shipped into ${shipped.branch} as ${shipped.commit.slice(0, 12)}` };
}

function shipSummaryFile(ctx: PipelineContext): string {
  return path.join(ctx.store.paths.runDir, 'ship.md');
}

/**
 * Feedback the ship gate sent back, and how far the run got with it: a resumed run (killed while
 * it was being handled) takes the last "changes" decision again and skips the modules already fixed.
 */
const ShipProgressSchema = z.object({
  /** Index in `state.gates` of the "changes" decision being handled. */
  gateIndex: z.number().int().nonnegative(),
  modules: z.array(z.object({ module: z.string(), outcome: z.enum(['merged', 'open']), reason: z.string().optional() })).default([]),
});
type ShipProgress = z.infer<typeof ShipProgressSchema>;

function shipProgressFile(ctx: PipelineContext): string {
  return path.join(ctx.store.paths.runDir, 'ship.json');
}

/** The feedback of the last ship-gate decision if it asked for changes (the one this round answers). */
function pendingFeedback(ctx: PipelineContext): { feedback: string; gateIndex: number } | undefined {
  const gates = ctx.store.state.gates;
  for (let i = gates.length - 1; i >= 0; i--) {
    const g = gates[i]!;
    if (g.gate !== 'ship') continue;
    return g.decision === 'changes' && g.feedback ? { feedback: g.feedback, gateIndex: i } : undefined;
  }
  return undefined;
}

function loadShipProgress(ctx: PipelineContext, gateIndex: number): ShipProgress {
  const file = shipProgressFile(ctx);
  try {
    const parsed = fs.existsSync(file) ? ShipProgressSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8'))) : undefined;
    if (parsed?.success && parsed.data.gateIndex === gateIndex) return parsed.data;
  } catch {
    // unreadable (cut by a crash mid-write is excluded by the atomic write; a hand-edited file is not): start over
  }
  return { gateIndex, modules: [] };
}

async function runShip(ctx: PipelineContext, feedback?: string): Promise<StageResult> {
  if (ctx.store.state.shipped) return { status: 'done', detail: `already shipped into ${ctx.store.state.shipped.branch}` };
  // Found before the shipping agent runs (it used to be found only at Approve, after a version bump).
  const noBranch = noBranchToShipInto(ctx.store.state);
  if (noBranch) return { status: 'halted', reason: noBranch };
  const wt = ctx.store.paths.integrationWorktree;
  const manifest = ctx.contracts().manifest;
  // `feedback` comes with a gate answer; a resumed run finds it in the recorded decisions instead.
  const pending = pendingFeedback(ctx);
  const text = feedback ?? pending?.feedback;
  const named = text ? modulesNamedIn(text, manifest.modules.map((m) => m.name)) : [];
  let refixed: ShipProgress['modules'] = [];
  if (text && named.length && pending) {
    const progress = loadShipProgress(ctx, pending.gateIndex);
    for (const name of named) {
      if (progress.modules.some((m) => m.module === name)) continue;
      const finding = { severity: 'MAJOR' as const, file: moduleDirOf(manifest, name), line: null, text: `The human reviewing the release at the ship gate asked for changes:\n${text}` };
      const outcome = await refixModule(ctx, name, [finding], 'ship');
      if (outcome.status === 'stopped') return { status: 'halted', reason: `stopped while ${name} was being changed for the ship gate: ${outcome.reason}` };
      progress.modules.push(outcome.status === 'merged' ? { module: name, outcome: 'merged' } : { module: name, outcome: 'open', reason: outcome.reason });
      writeFileAtomic(shipProgressFile(ctx), JSON.stringify(progress, null, 2) + '\n');
    }
    refixed = progress.modules;
    // Curate ran before this stage: what these builders added to the memory is curated now, so it
    // ships in the state curate leaves (no stale state pairs, their brains in their final state).
    const changed = refixed.filter((m) => m.outcome === 'merged').map((m) => m.module);
    const round = ctx.store.state.gates.slice(0, pending.gateIndex + 1).filter((g) => g.gate === 'ship' && g.decision === 'changes').length;
    if (changed.length) await curateChangedModules(ctx, changed, round);
  }

  const attempt = ctx.store.stage('ship').attempts;
  const agentId = `shipper-${attempt}`;
  // What the engine commits of the agent's work is judged against these (see releaseManifest.ts).
  const engineHead = await headCommit(wt);
  const manifests = await committedManifests(wt, engineHead);
  const observe = toolObserver(ctx, agentId);
  const slot: ResultSlot<BuilderOutcome> = {};
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
      contracts_shared: ctx.contracts().shared,
      project_name: manifest.project,
      modules: manifest.modules.map((m) => m.name).join(', '),
      writable: SHIP_WRITABLE.join(', '),
      feedback: shipperFeedback(text, refixed),
    },
    isComplete: () => slot.value !== undefined,
    nudge: 'You have not called report_outcome. Call it now with status "done" and a one-line summary of the release.',
  });
  if (!slot.value || slot.value.status !== 'done') return { status: 'halted', reason: `the shipping agent did not finish: ${slot.value?.summary ?? result.finalText.slice(0, 300)}` };
  const undone = keepVersionChangesOnly(wt, manifests);
  const owned = await commitOwnedChanges(wt, {
    branch: ctx.store.state.integrationBranch,
    engineHead,
    allowed: (rel) => isWritable(rel, SHIP_WRITABLE),
    message: `ship: release notes, changelog and version (${slot.value.summary.slice(0, 72)})`,
    author: agentAuthor('shipper'),
  });
  const note = [...undone, describeOwnership(agentId, owned)].filter(Boolean).join('; ');
  if (note) ctx.store.emit({ type: 'containment', agentId, detail: note });
  // The memory as it is now (the shipper's summary included) is part of the release commit the checks
  // run on and the gate merges; the publish after the stage comes after the merge, too late to ship.
  await publishStageMemory(ctx, 'with the release');

  // Build, the whole suite once more and lint, on exactly what would be merged.
  const checks = await runShipChecks(ctx);
  await writeShipSummary(ctx, checks, refixed);
  if (!checks.tests.ok) return { status: 'halted', reason: `the full test suite failed after the release changes (see ${shipSummaryFile(ctx)})` };
  return { status: 'done', detail: `release prepared: ${slot.value.summary.slice(0, 200)}` };
}

/** What the shipping agent is told about the gate's feedback: the text, and which builders already acted on it. */
function shipperFeedback(text: string | undefined, refixed: ShipProgress['modules']): string {
  if (!text) return 'No feedback yet: this is the first release preparation.';
  const block = `<gate-feedback>\n${text}\n</gate-feedback>`;
  if (!refixed.length) return `${block}\nThe human asked for these changes at the ship gate; make them.`;
  const done = refixed.map((m) => (m.outcome === 'merged' ? `${m.module} (changed by its builder, passed QC, merged again with green tests)` : `${m.module} (NOT changed: ${m.reason})`));
  return `${block}\nThe feedback names modules, so it went to their builders first: ${done.join('; ')}. Your part: bring the README section and the CHANGELOG entry up to date with what changed, if anything they say is now wrong or missing; do not edit module code.`;
}

async function writeShipSummary(ctx: PipelineContext, checks: ShipChecks, refixed: ShipProgress['modules']): Promise<void> {
  const s = ctx.store.state;
  const head = await headCommit(ctx.store.paths.integrationWorktree);
  const diff = await diffRange(s.repoRoot, s.baseCommit, head);
  const harden = hardenCounts(ctx);
  const open = hardenOpenIn(ctx.store.paths.runDir);
  const check = (label: string, c: CheckResult | undefined, note: string) =>
    c === undefined ? [`${label}: not configured in the toolchain`] : [`${label} \`${c.command}\`: **${c.ok ? 'pass' : 'FAIL'}**${c.ok ? '' : note}`, ...(c.ok ? [] : ['', '```', c.output, '```'])];
  const lines = [
    `# Ship ${s.integrationBranch} → ${s.baseBranch}`,
    '',
    '## Modules',
    '',
    '| module | status | QC verdict | fix cycles |',
    '|---|---|---|---|',
    ...s.modules.map((m) => `| ${m.name} | ${m.status} | ${m.verdict ?? '-'} | ${m.fixCycles} |`),
    '',
    ...(refixed.length ? ['## Ship-gate feedback sent to builders', '', ...refixed.map((m) => `- ${m.module}: ${m.outcome === 'merged' ? 'changed, QC passed, merged again with green tests' : `not changed: ${m.reason}`}`), ''] : []),
    `## Harden findings`,
    '',
    harden ? `${harden.CRITICAL} critical, ${harden.MAJOR} major, ${harden.MINOR} minor` : 'Harden did not run.',
    ...(open.length ? ['', 'MAJOR findings left open for you (see harden.md):', ...open.map((o) => `- ${o.module}: ${o.reason}`)] : []),
    '',
    '## Build, tests and lint',
    '',
    `On the release commit \`${checks.commit.slice(0, 12)}\`:`,
    '',
    ...check('Build', checks.build, ' (blocking: approval is refused until it builds)'),
    '',
    ...check('Tests', checks.tests, ''),
    '',
    ...check('Lint', checks.lint, ' (a warning: shown, not blocking)'),
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
  ctx.store.update((st) => (st.stages.find((x) => x.id === 'ship')!.detail = `${diff.length} files changed; build ${verdictOf(checks.build)}, tests ${verdictOf(checks.tests)}, lint ${verdictOf(checks.lint)}`));
}

function describeShipGate(ctx: PipelineContext): { title: string; summary: string; openPath?: string } {
  const s = ctx.store.state;
  const file = shipSummaryFile(ctx);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const checks = readShipChecks(ctx.store.paths.runDir);
  const harden = hardenCounts(ctx);
  const open = hardenOpenIn(ctx.store.paths.runDir);
  const verdicts = s.modules.map((m) => `${m.name} ${m.verdict ?? '-'}`).join(', ');
  const gate = shipGateText({
    integrationBranch: s.integrationBranch,
    baseBranch: s.baseBranch,
    scope: `${s.modules.length} modules`,
    changed: /(\d+) file\(s\) changed/.exec(text)?.[1] ?? '?',
    tests: checks ? verdictOf(checks.tests).toLowerCase() : 'not run',
    build: verdictOf(checks?.build),
    lint: verdictOf(checks?.lint),
    facts: [
      `Modules: ${verdicts}`,
      `Harden: ${harden ? `${harden.CRITICAL} critical, ${harden.MAJOR} major, ${harden.MINOR} minor` : 'did not run'}${open.length ? `; left open for you: ${open.map((o) => `${o.module} (${o.reason})`).join('; ')}` : ''}`,
    ],
    costUsd: s.costUsd,
    changesHint: "Request changes naming a module sends it to that module's builder",
  });
  return { ...gate, openPath: file };
}

/**
 * The approval is for the commit the gate showed (its checks and summary are of that commit). If the
 * integration branch moved while the gate waited (a commit made by hand, across a resume), the newer
 * commit was never checked nor shown: the checks run again on it, the summary is written again, and
 * the gate is asked again instead of merging. Returns why not merged, or undefined.
 */
async function recheckMovedHead(ctx: PipelineContext): Promise<string | undefined> {
  const recorded = readShipChecks(ctx.store.paths.runDir);
  const head = await headCommit(ctx.store.paths.integrationWorktree);
  // A blocked gate (failing build) promised to check again and merge what builds: recheckFailedChecks.
  if (!recorded || recorded.commit === head || (recorded.build && !recorded.build.ok)) return undefined;
  const checks = await runShipChecks(ctx);
  await writeShipSummary(ctx, checks, recordedRefixes(ctx));
  return `not merged: ${ctx.store.state.integrationBranch} moved after the ship gate showed ${recorded.commit.slice(0, 12)} (now ${checks.commit.slice(0, 12)}); the checks ran again on it (${shipSummaryFile(ctx)}): answer the ship gate again`;
}

/**
 * The gate was shown with a failing build or red tests, and the human approved anyway: maybe they
 * fixed it since (a commit on the integration branch, a tool installed, a service started). Red tests
 * halt the ship stage before its gate, but a gate asked again after the integration branch moved
 * (recheckMovedHead) can show them. So the checks run again on what would be merged, and the summary
 * with them; the merge goes ahead only if the build passes and the tests are green. Returns why not,
 * or undefined.
 */
async function recheckFailedChecks(ctx: PipelineContext): Promise<string | undefined> {
  const recorded = readShipChecks(ctx.store.paths.runDir);
  const buildFailed = !!recorded?.build && !recorded.build.ok;
  if (!recorded || (!buildFailed && recorded.tests.ok)) return undefined;
  ctx.store.emit({ type: 'log', level: 'info', message: `ship: the ${buildFailed ? 'build' : 'tests'} failed on ${recorded.commit.slice(0, 12)}; running the ship checks again before merging` });
  const checks = await runShipChecks(ctx);
  await writeShipSummary(ctx, checks, recordedRefixes(ctx));
  if (checks.build && !checks.build.ok) {
    return `not merged: the build (\`${checks.build.command}\`) fails on the release commit (checked again at approval); fix it on ${ctx.store.state.integrationBranch} and approve again, request changes at the ship gate (naming the module at fault sends it to its builder) or reject (see ${shipSummaryFile(ctx)})`;
  }
  if (!checks.tests.ok && buildFailed) {
    return `not merged: the build passes now, but the full test suite (\`${checks.tests.command}\`) fails on ${checks.commit.slice(0, 12)}; fix it and approve again, or reject (see ${shipSummaryFile(ctx)})`;
  }
  if (!checks.tests.ok) {
    return `not merged: the full test suite (\`${checks.tests.command}\`) fails on ${checks.commit.slice(0, 12)}; fix it on ${ctx.store.state.integrationBranch} and approve again, request changes at the ship gate (naming the module at fault sends it to its builder) or reject (see ${shipSummaryFile(ctx)})`;
  }
  if (buildFailed) ctx.store.emit({ type: 'log', level: 'info', message: `ship: the build passes on ${checks.commit.slice(0, 12)} now; merging` });
  return undefined;
}

/** The modules a ship-gate round already sent to their builders (ship.json), for the summary. */
function recordedRefixes(ctx: PipelineContext): ShipProgress['modules'] {
  try {
    const parsed = ShipProgressSchema.safeParse(JSON.parse(fs.readFileSync(shipProgressFile(ctx), 'utf8')));
    return parsed.success ? parsed.data.modules : [];
  } catch {
    return []; // none sent (no file), or unreadable: the summary then lists none
  }
}

async function mergeApproved(ctx: PipelineContext): Promise<StageResult> {
  const s = ctx.store.state;
  if (s.shipped) return { status: 'done', detail: `shipped into ${s.shipped.branch} as ${s.shipped.commit.slice(0, 12)}` };
  const moved = await recheckMovedHead(ctx);
  if (moved) {
    ctx.store.emit({ type: 'log', level: 'warn', message: moved });
    return { status: 'awaiting-approval', gate: 'ship', reason: moved };
  }
  const failed = await recheckFailedChecks(ctx);
  if (failed) {
    ctx.store.emit({ type: 'log', level: 'warn', message: failed });
    return { status: 'awaiting-approval', gate: 'ship', reason: failed };
  }
  const outcome = await shipIntoBase({
    ...shipInputFor({
      state: s,
      worktreesDir: ctx.store.paths.worktrees,
      reportsDir: ctx.store.paths.conflicts,
      title: s.description,
      testCommand: integrationTestCommand(ctx),
      runner: ctx,
      log: (level, message) => ctx.store.emit({ type: 'log', level, message }),
      dependenciesFrom: ctx.store.paths.integrationWorktree,
    }),
    // What the checks (and the gate's summary) are of: a commit landing while they ran is not merged unseen.
    expectedHead: readShipChecks(ctx.store.paths.runDir)?.commit,
  });
  if (outcome.status !== 'done') return outcome.status === 'halted' ? { status: 'halted', reason: outcome.reason } : { status: 'awaiting-approval', gate: 'ship', reason: outcome.reason };
  ctx.store.update((st) => (st.shipped = outcome.shipped));
  return { status: 'done', detail: outcome.detail };
}
