/**
 * One builder run for one module (first build or a fix cycle). The builder may change only its
 * module folder, its brain file, its training pairs and its own conflict report; contracts are
 * read-only. Whatever it leaves uncommitted inside those paths the engine commits with the agent as
 * author; anything it changed elsewhere (its shell may write anywhere in its worktree) is reported, never committed
 * by the engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuilderOutcome, ModuleSpec, Usage } from '../contracts/schemas';
import { roleShell } from '../sandbox/stageShell';
import { ROLE_TOOLS, fileTools, isWritable, reportOutcomeTool, type ResultSlot } from '../agents/tools';
import { moduleVars, runRoleAgent } from './roleAgent';
import { changedPathsSince, commitAll, headCommit } from '../git';
import { CONTRACTS_REL, lockFlagsFor, moduleDir } from './contracts';
import { toolObserver } from './architect';
import { agentAuthor, type PipelineContext } from './context';

export interface BuilderRun {
  outcome?: BuilderOutcome;
  usage: Usage;
  commit: string;
  outOfScope: string[];
  conflictReport?: string;
}

export function builderWritablePaths(module: string): string[] {
  return [
    `${moduleDir(module)}/`,
    `.orchestration/brains/${module}-builder.md`,
    `.orchestration/training/${module}-session-pairs.jsonl`,
    `.orchestration/conflicts/${module}-*.md`,
  ];
}

export async function runBuilder(
  ctx: PipelineContext,
  spec: ModuleSpec,
  wt: string,
  cycle: number,
  findings: string | undefined,
): Promise<BuilderRun> {
  const name = spec.name;
  const agentId = `builder-${name}-${cycle}`;
  const slot: ResultSlot<BuilderOutcome> = {};
  const observe = toolObserver(ctx, agentId);
  const writable = builderWritablePaths(name);
  const tools = [
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
  ];
  const contracts = ctx.contracts();
  const result = await runRoleAgent(ctx, {
    agentId,
    role: 'builder',
    stage: 'build',
    module: name,
    tier: ctx.store.module(name).tier,
    tools,
    vars: {
      ...moduleVars(ctx, name),
      module_description: spec.description,
      module_dependencies: spec.depends_on.length ? spec.depends_on.join(', ') : 'none',
      fix_cycle: cycle,
      brain_file: `.orchestration/brains/${name}-builder.md`,
      training_file: `.orchestration/training/${name}-session-pairs.jsonl`,
      conflict_file: `.orchestration/conflicts/${name}-<issue>.md`,
      lock_flags: lockFlagsFor(contracts.locks, name),
      fix_section: findings
        ? `\n## Fix cycle ${cycle}\nQC sent the module back. Fix every finding below, rerun the tests, commit, and report again.\n<qc-findings>\n${findings}\n</qc-findings>`
        : '',
    },
    isComplete: () => slot.value !== undefined,
    nudge: 'You have not called report_outcome. Call it now with "done" or "blocked".',
  });

  const base = ctx.store.module(name).baseCommit!;
  const changed = await changedPathsSince(wt, base);
  const outOfScope = changed.filter((p) => !isWritable(p, writable));
  if (outOfScope.length) {
    ctx.store.emit({ type: 'containment', agentId, module: name, detail: `changes outside ${moduleDir(name)}/: ${outOfScope.join(', ')}` });
  }
  // Only in-scope paths are staged: out-of-scope edits stay uncommitted unless the agent itself committed them.
  const inScope = changed.filter((p) => isWritable(p, writable));
  if (inScope.length) await commitAll(wt, `build(${name}): commit work the builder left uncommitted`, agentAuthor(`builder-${name}`), inScope);
  const conflictReport = slot.value?.status === 'blocked' ? copyConflictReport(ctx, wt, name, slot.value) : undefined;
  return { outcome: slot.value, usage: result.usage, commit: await headCommit(wt), outOfScope, conflictReport };
}

/** The conflict report goes to the run's conflicts/ folder; the builder's own file if it wrote one. */
function copyConflictReport(ctx: PipelineContext, wt: string, module: string, outcome: BuilderOutcome): string {
  const issue = outcome.conflict_issue ?? 'contract';
  const target = path.join(ctx.store.paths.conflicts, `${module}-${issue}.md`);
  const written = path.join(wt, '.orchestration/conflicts', `${module}-${issue}.md`);
  const body = fs.existsSync(written)
    ? fs.readFileSync(written, 'utf8')
    : `# Contract conflict: ${module}\n\n${outcome.summary}\n\n${outcome.conflict_details ?? ''}\n`;
  fs.writeFileSync(target, body);
  return target;
}
