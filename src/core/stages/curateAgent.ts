/**
 * Stage 7's agent (seed 000: the curate stage is a sonnet agent, and the training-data generator is
 * dispatched "for Stage 1b bootstrap or Stage 7 regeneration"): the training agent, with the
 * `training-curate` prompt, rewrites every builder brain file to the final state of the run and
 * writes fresh state pairs into `training/state.jsonl`. The engine has already removed the stale
 * state pairs; it checks the new ones with the quality rules (only `state_status` pairs are taken),
 * and a brain file the agent left unchanged gets the engine's one-line final state instead, so the
 * final state is always recorded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAgentFile } from '../agents/agentFiles';
import { agentShellEnv } from '../agents/env';
import { AgentError } from '../agents/runAgent';
import { fileTools } from '../agents/tools';
import { writeFileAtomic } from '../run/runDir';
import { BRAINS_REL } from '../memory/brain';
import { pairIdsIn } from '../training/pairs';
import { checkPairs, type Rejection } from '../training/quality';
import { fileEntry } from '../training/taxonomy';
import { toolObserver } from './architect';
import { CONTRACTS_REL } from './contracts';
import { openConflictsOf, projectNouns, projectSubjects, TRAINING_REL } from './bootstrap';
import type { PipelineContext } from './context';
import { runRoleAgent } from './roleAgent';

export const STATE_PAIRS_REL = `${TRAINING_REL}/state.jsonl`;

export interface CurateAgentResult {
  statePairs: number;
  rejected: Rejection[];
  brainsRewritten: string[];
  brainsByEngine: string[];
}

/** One line per module for the agent: what the run did with it. */
function finalStateBlock(ctx: PipelineContext): string {
  const s = ctx.store.state;
  const lines = s.modules.map((m) => {
    const merged = s.merges.find((x) => x.module === m.name && x.status === 'MERGED');
    return `- ${m.name}: status ${m.status}, QC ${m.verdict ?? 'not graded'}, ${m.fixCycles} fix cycle(s), ${merged ? `merged into ${s.integrationBranch}` : 'not merged'}`;
  });
  lines.push(`run: ${s.runId}, ${shipLine(ctx)}${ctx.config.stopAfter ? ` (stopped after ${ctx.config.stopAfter})` : ''}`);
  return lines.join('\n');
}

/**
 * The run's shipping as curate can know it. Curate runs before the ship gate (its memory ships with
 * the release), so on a run that goes on to ship this memory reaches the base branch only with the
 * ship merge: "to ship" is what anyone reading it there finds true. A run stored with the old order
 * curates after the ship stage ended.
 */
function shipLine(ctx: PipelineContext): string {
  const s = ctx.store.state;
  const ship = s.stages.find((x) => x.id === 'ship');
  if (s.shipped || ship?.status === 'done') return `shipped into ${s.shipped?.branch ?? s.baseBranch}`;
  if (!ship || ship.status === 'skipped' || (ctx.config.stopAfter && ctx.config.stopAfter !== 'ship')) return 'not shipped (the integration branch is the result)';
  return `to ship into ${s.baseBranch} at the ship gate after this (this memory reaches ${s.baseBranch} only with that merge)`;
}

function nextPairId(dir: string): string {
  const highest = Math.max(0, ...[...pairIdsIn(dir)].map((id) => Number(id.slice('qa-'.length))));
  return String(Math.min(highest + 1, 99_999)).padStart(5, '0');
}

export async function runCurateAgent(ctx: PipelineContext, at: Date): Promise<CurateAgentResult> {
  const wt = ctx.store.paths.integrationWorktree;
  // The brains came from the builders' branches: only regular files inside the worktree are taken.
  const before = new Map(
    ctx.store.state.modules.flatMap((m) => {
      const rel = `${BRAINS_REL}/${m.name}-builder.md`;
      const text = readAgentFile(wt, rel);
      return text === undefined ? [] : [[rel, text] as const];
    }),
  );
  const brains = [...before.keys()];
  const agentId = `curate-${ctx.store.stage('curate').attempts}`;
  const observe = toolObserver(ctx, agentId);
  const tools = fileTools(
    ['read', 'write', 'glob', 'grep'],
    { workdir: wt, readOnlyRoots: [path.join(wt, CONTRACTS_REL)], writable: [...brains, STATE_PAIRS_REL], env: agentShellEnv('training'), bashTimeoutMs: ctx.config.bashTimeoutMs },
    observe,
  );
  try {
    await runRoleAgent(ctx, {
      agentId,
      role: 'training',
      template: 'training-curate',
      stage: 'curate',
      tier: ctx.config.roleTiers.training,
      tools,
      vars: {
        project_name: ctx.contracts().manifest.project,
        output_file: STATE_PAIRS_REL,
        start_pair_id: nextPairId(path.join(wt, TRAINING_REL)),
        brain_files: brains.map((b) => `- ${b}`).join('\n') || '(none: no builder left a brain file on the integration branch)',
        final_state: finalStateBlock(ctx),
      },
    });
  } catch (e) {
    if (AgentError.is(e, 'cancelled') || ctx.signal.aborted) throw e;
    // Curate runs in every run: a failed agent must not fail a run whose code is done. What it wrote
    // before failing is checked below like any output; every brain it left alone gets the engine's line.
    ctx.store.emit({ type: 'log', level: 'warn', message: `curate: the training agent ${agentId} failed (${(e as Error).message.slice(0, 300)}); the engine records the final state of the brain files it did not rewrite` });
  }

  // The new state pairs: the quality rules, and only the state type (the agent may not add other kinds here).
  const file = path.join(wt, STATE_PAIRS_REL);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const takenIds = pairIdsIn(path.join(wt, TRAINING_REL), [path.basename(STATE_PAIRS_REL)]);
  const checked = checkPairs(text, { nouns: projectNouns(ctx), subjects: projectSubjects(ctx), openConflicts: openConflictsOf(ctx), takenIds });
  const wrongType = checked.accepted.flatMap((p, i) => (p.metadata.taxonomy === 'state_status' ? [] : [{ line: i + 1, rule: 'schema' as const, reason: `a ${p.metadata.taxonomy} pair; Stage 7 regenerates state_status pairs only`, pairId: p.metadata.pair_id }]));
  const kept = checked.accepted.filter((p) => p.metadata.taxonomy === 'state_status');
  const rejected = [...checked.rejected, ...wrongType];
  if (text || kept.length) writeFileAtomic(file, kept.map((p) => JSON.stringify({ ...p, metadata: { ...p.metadata, created_at: at.toISOString() } }) + '\n').join(''));
  const rejectedFile = path.join(ctx.store.paths.runDir, 'training', 'state-rejected.jsonl');
  fs.mkdirSync(path.dirname(rejectedFile), { recursive: true });
  writeFileAtomic(rejectedFile, rejected.map((r) => JSON.stringify(r) + '\n').join(''));
  updateManifest(wt, kept, rejected);

  const brainsRewritten: string[] = [];
  const brainsByEngine: string[] = [];
  for (const rel of brains) {
    const now = readAgentFile(wt, rel);
    if (now !== undefined && now !== before.get(rel) && /## Current State/.test(now)) brainsRewritten.push(rel);
    else brainsByEngine.push(rel);
  }
  ctx.store.emit({
    type: 'log',
    level: rejected.length || brainsByEngine.length ? 'warn' : 'info',
    message: `curate: ${kept.length} state pairs regenerated (${rejected.length} rejected${rejected.length ? `: ${[...new Set(rejected.map((r) => r.rule))].join(', ')}` : ''}); ${brainsRewritten.length} brain files rewritten by ${agentId}${brainsByEngine.length ? `, ${brainsByEngine.length} left unchanged (the engine records their final state)` : ''}`,
  });
  return { statePairs: kept.length, rejected, brainsRewritten, brainsByEngine };
}

function updateManifest(wt: string, kept: Parameters<typeof fileEntry>[0], rejected: Rejection[]): void {
  const file = path.join(wt, TRAINING_REL, 'manifest.json');
  let manifest: { files?: Record<string, unknown> } & Record<string, unknown> = {};
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof manifest;
  } catch {
    // none yet
  }
  manifest.files = { ...(manifest.files ?? {}), 'state.jsonl': fileEntry(kept, rejected) };
  manifest['updated_at'] = new Date().toISOString();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(manifest, null, 2) + '\n');
}
