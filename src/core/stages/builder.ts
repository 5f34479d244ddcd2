/**
 * One builder run for one module (first build or a fix cycle). The builder may change only its
 * module folder (its `path` in modules.json), its brain file, its training pairs and its own conflict
 * report; contracts and the project manifest are read-only. The engine owns the commit: whatever the
 * builder committed itself is undone (files kept), then only the paths it may change are committed
 * with the agent as author; everything else is discarded, reported to QC and written to the journal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuilderOutcome, ModuleSpec } from '../contracts/schemas';
import { roleShell } from '../sandbox/stageShell';
import { ROLE_TOOLS, afterwards, fileTools, isWritable, reportOutcomeTool, type ResultSlot } from '../agents/tools';
import { moduleVars, runRoleAgent } from './roleAgent';
import type { ModuleAgentSlot } from './moduleSlot';
import { commitOwnedChanges, describeOwnership, ignoredEntries } from '../git';
import { CONTRACTS_REL, lockFlagsFor } from './contracts';
import { moduleDir } from './moduleTestCommand';
import { toolObserver } from './architect';
import { sessionPairsRel, startPairId, type SessionCheck } from '../training/sessionPairs';
import { checkPairsAtHandOver } from '../training/builderPairs';
import { agentAuthor, type PipelineContext } from './context';
import { readAgentFile, scrubAgentFiles } from '../agents/agentFiles';
import { brainRel } from '../memory/brain';
import type { FixRequest } from './fixRequest';

export interface BuilderRun {
  outcome?: BuilderOutcome;
  commit: string;
  /** Changes the engine left out of the commit (outside what the builder may change), for QC and the report. */
  outOfScope: string[];
  /** What the engine did with the builder's own commits and stray files, in words ('' when nothing). */
  ownershipNote: string;
  conflictReport?: string;
  /** The check of its session pairs at the hand-over (outcome "done" and a pairs file only). */
  pairs?: SessionCheck;
}

export function builderWritablePaths(module: string, dir: string): string[] {
  return [
    `${dir}/`,
    `.orchestration/brains/${module}-builder.md`,
    `.orchestration/training/${module}-session-pairs.jsonl`,
    `.orchestration/conflicts/${module}-*.md`,
  ];
}

/**
 * What the engine commits of a builder's changes: its writable paths, less the conflict reports of
 * modules whose names begin with this one's (`api-gateway-x.md` matches `api-*.md`, and would have
 * stood in for api-gateway's own report).
 */
export function builderMayCommit(module: string, dir: string, moduleNames: readonly string[]): (rel: string) => boolean {
  const writable = builderWritablePaths(module, dir);
  const longer = moduleNames.filter((n) => n !== module && n.startsWith(`${module}-`));
  return (rel) => isWritable(rel, writable) && !longer.some((n) => rel.startsWith(`.orchestration/conflicts/${n}-`));
}

export async function runBuilder(
  ctx: PipelineContext,
  spec: ModuleSpec,
  wt: string,
  cycle: number,
  findings: FixRequest | undefined,
  /** A resolved contract conflict this build resumes from (M13, src/core/conflicts). */
  resolution: string | undefined,
  /** The module's wave-limit slot, or the priority to take one of its own at (stages/moduleSlot.ts). */
  waveSlot: ModuleAgentSlot,
): Promise<BuilderRun> {
  const name = spec.name;
  const agentId = `builder-${name}-${cycle}`;
  const slot: ResultSlot<BuilderOutcome> = {};
  const observe = toolObserver(ctx, agentId);
  const dir = moduleDir(ctx, name);
  const writable = builderWritablePaths(name, dir);
  const state = ctx.store.module(name);
  const engineHead = state.engineHead ?? state.baseCommit!;
  // What git ignores before the builder starts, so the engine can tell what it added: asked while the
  // first model call is made (every tool waits for it), not before it, on the module's critical path.
  const ignoredBefore = ignoredEntries(wt);
  ignoredBefore.catch(() => undefined);
  const { tools, stopOn } = afterwards(ignoredBefore, [
    ...fileTools(
      ROLE_TOOLS.builder,
      {
        workdir: wt,
        readOnlyRoots: [path.join(wt, CONTRACTS_REL)],
        writable,
        ...roleShell(ctx, wt, `builder-${name}`, 'writes-worktree'),
      },
      observe,
    ),
    reportOutcomeTool(slot, observe),
    ...(await ctx.mcp.toolsFor('builder', observe)),
  ]);
  const contracts = ctx.contracts();
  await runRoleAgent(ctx, {
    worktree: wt,
    agentId,
    role: 'builder',
    stage: 'build',
    module: name,
    tier: ctx.store.module(name).tier,
    ...waveSlot,
    tools,
    vars: {
      ...moduleVars(ctx, name),
      module_description: spec.description,
      module_dependencies: spec.depends_on.length ? spec.depends_on.join(', ') : 'none',
      module_packages: spec.dependencies.length ? spec.dependencies.join(', ') : 'none beyond the standard library',
      fix_cycle: cycle,
      brain_file: `.orchestration/brains/${name}-builder.md`,
      training_file: sessionPairsRel(name),
      start_pair_id: startPairId(wt, name, contracts.manifest.build_order),
      conflict_file: `.orchestration/conflicts/${name}-<issue>.md`,
      lock_flags: lockFlagsFor(contracts.locks, name),
      fix_section:
        (findings
          ? `\n## Fix cycle ${cycle}\n${findings.from} Fix every finding below, rerun the tests, and report again (the engine commits).\n<qc-findings>\n${findings.findings}\n</qc-findings>`
          : '') +
        (resolution
          ? `\n## Your contract conflict was resolved\nResume the module from this decision; the contracts in your worktree are current, and your brain file has the notice.\n<conflict-resolution>\n${resolution}\n</conflict-resolution>`
          : ''),
    },
    isComplete: () => slot.value !== undefined,
    nudge: 'You have not called report_outcome. Call it now with "done" or "blocked".',
    stopOn,
  });

  // The brain file and the session pairs are the builder's own words, committed and shipped: no secret
  // and no path of this machine in them.
  const scrubbed = scrubAgentFiles(wt, [brainRel(`${name}-builder`), sessionPairsRel(name)], ctx.store.scrub);
  if (scrubbed.length) ctx.store.emit({ type: 'containment', agentId, module: name, detail: `secrets or this machine's paths removed from ${scrubbed.join(', ')} before the commit` });
  // Checked now, so the kept pairs go into this commit and the branch QC grades is the one that passes.
  const pairs = slot.value?.status === 'done' ? checkPairsAtHandOver(ctx, name, wt) : undefined;
  const owned = await commitOwnedChanges(
    wt,
    {
      branch: state.branch,
      engineHead,
      allowed: builderMayCommit(name, dir, ctx.contracts().manifest.modules.map((m) => m.name)),
      message: cycle === 0 ? `build(${name}): implement per contract` : `build(${name}): fix cycle ${cycle}`,
      author: agentAuthor(`builder-${name}`),
    },
    await ignoredBefore,
  );
  ctx.store.update((s) => (s.modules.find((x) => x.name === name)!.engineHead = owned.head));
  const ownershipNote = describeOwnership(agentId, owned);
  if (ownershipNote) ctx.store.emit({ type: 'containment', agentId, module: name, detail: ownershipNote });
  const conflictReport = slot.value?.status === 'blocked' ? copyConflictReport(ctx, wt, name, slot.value) : undefined;
  return { outcome: slot.value, commit: owned.head, outOfScope: [...owned.leftOut, ...owned.newIgnored], ownershipNote, conflictReport, pairs };
}

/** The conflict report goes to the run's conflicts/ folder; the builder's own file if it wrote one. */
function copyConflictReport(ctx: PipelineContext, wt: string, module: string, outcome: BuilderOutcome): string {
  const issue = outcome.conflict_issue ?? 'contract';
  const target = path.join(ctx.store.paths.conflicts, `${module}-${issue}.md`);
  // The builder's own report when it wrote one (a regular file inside its worktree: readAgentFile).
  const body =
    readAgentFile(wt, path.join('.orchestration/conflicts', `${module}-${issue}.md`)) ??
    `# Contract conflict: ${module}\n\n${outcome.summary}\n\n${outcome.conflict_details ?? ''}\n`;
  fs.writeFileSync(target, body);
  return target;
}
