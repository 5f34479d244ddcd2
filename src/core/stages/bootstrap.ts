/**
 * Stage 1b, Bootstrap (M4): after the blueprint gate a training-data agent writes
 * `.orchestration/training/bootstrap.jsonl` from the contracts. The engine checks every line with the
 * quality rules (src/core/training), keeps the accepted pairs in the file, reports the rejected ones
 * with their rule (run directory `training/bootstrap-rejected.jsonl`), counts the 7 types against their
 * target shares in `training/manifest.json`, and gates on the accepted count: below
 * `training.minPairs`, one repair round asks for the missing types, then the stage fails clearly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { fileTools } from '../agents/tools';
import { commitAll } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { pairIdsIn } from '../training/pairs';
import { checkPairs, type QualityResult } from '../training/quality';
import { countByType, fileEntry, missingByType } from '../training/taxonomy';
import { listRecords } from '../conflicts/resolution';
import { toolObserver } from './architect';
import { CONTRACTS_REL, type LoadedContracts } from './contracts';
import { ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';
import { runRoleAgent } from './roleAgent';
import { readAgentFile, scrubAgentFolder } from '../agents/agentFiles';

export const TRAINING_REL = '.orchestration/training';
const OUTPUT = `${TRAINING_REL}/bootstrap.jsonl`;

export const bootstrapStage: Stage = { id: 'bootstrap', title: 'Bootstrap', run: runBootstrap };

/**
 * The project's names for the quality rules, worked out once per loaded contracts: every builder's
 * hand-over checks its module's session pairs against them, and reading every module's interface
 * again on each check made it grow with the number of modules. A reload of the contracts (a resolved
 * conflict changes them) gives a new object, and with it new names.
 */
const namesByContracts = new WeakMap<LoadedContracts, { subjects: readonly string[]; nouns: readonly string[] }>();

function projectNames(ctx: PipelineContext): { subjects: readonly string[]; nouns: readonly string[] } {
  const c = ctx.contracts();
  let names = namesByContracts.get(c);
  if (!names) {
    const subjects = subjectsOf(c);
    names = { subjects, nouns: nounsOf(c, subjects) };
    namesByContracts.set(c, names);
  }
  return names;
}

/** What questions are about: module names, decision keys, ADR numbers (a question may name them). */
export function projectSubjects(ctx: PipelineContext): readonly string[] {
  return projectNames(ctx).subjects;
}

/** This project's proper nouns: the subjects above, and the names in backticks in the interfaces. */
export function projectNouns(ctx: PipelineContext): readonly string[] {
  return projectNames(ctx).nouns;
}

function subjectsOf(c: LoadedContracts): string[] {
  const nouns = new Set<string>(c.manifest.modules.map((m) => m.name));
  for (const key of [...Object.keys(c.locks.decisions), ...c.adrs]) {
    nouns.add(key);
    const n = /^(\d{3})-/.exec(key)?.[1];
    if (n) nouns.add(`ADR-${n}`).add(`ADR ${n}`);
  }
  return [...nouns];
}

function nounsOf(c: LoadedContracts, subjects: readonly string[]): string[] {
  const nouns = new Set<string>(subjects);
  for (const m of c.manifest.modules) {
    try {
      const text = fs.readFileSync(path.join(c.dir, m.interface), 'utf8');
      for (const hit of text.matchAll(/`([A-Za-z_/][\w/.:-]{2,60})`/g)) nouns.add(hit[1]!.replace(/\(.*$/, ''));
    } catch {
      // validated contracts have every interface; a missing one only means fewer nouns.
    }
  }
  return [...nouns];
}

export function openConflictsOf(ctx: PipelineContext): { module: string; issue: string }[] {
  return listRecords(ctx.store.paths.conflicts).filter((r) => !['resolved', 'consumed'].includes(r.status)).map((r) => ({ module: r.module, issue: r.issue }));
}

async function runBootstrap(ctx: PipelineContext): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const min = ctx.config.training.minPairs;
  let repairSection = '';
  let result: QualityResult | undefined;
  for (let round = 0; round < 2; round++) {
    const agentId = `training-bootstrap-${ctx.store.stage('bootstrap').attempts}-${round}`;
    const observe = toolObserver(ctx, agentId);
    const tools = fileTools(
      ['read', 'write', 'glob', 'grep'],
      { workdir: wt, readOnlyRoots: [path.join(wt, CONTRACTS_REL)], writable: [`${TRAINING_REL}/`], env: agentShellEnv('training'), bashTimeoutMs: ctx.config.bashTimeoutMs },
      observe,
    );
    const contracts = ctx.contracts();
    await runRoleAgent(ctx, {
      agentId,
      role: 'training',
      stage: 'bootstrap',
      tier: ctx.config.roleTiers.training,
      tools,
      vars: { project_name: contracts.manifest.project, output_file: OUTPUT, start_pair_id: '00001', min_pairs: min, repair_section: repairSection },
    });
    const dir = path.join(wt, TRAINING_REL);
    const output = joinedPairFiles(dir);
    const takenIds = pairIdsIn(dir, output.files);
    result = checkPairs(output.text, { nouns: projectNouns(ctx), subjects: projectSubjects(ctx), openConflicts: openConflictsOf(ctx), takenIds });
    record(ctx, output.text, result);
    // Their pairs are in bootstrap.jsonl now (the accepted ones).
    for (const name of output.files.slice(1)) fs.rmSync(path.join(dir, name), { force: true });
    if (result.accepted.length >= min) break;
    const missing = missingByType(result.accepted, min);
    repairSection =
      `\n## Repair round\nThe engine accepted ${result.accepted.length} pairs (they are in ${OUTPUT}: leave that file as it is); at least ${min} are needed. ` +
      `Write the new pairs into \`${TRAINING_REL}/bootstrap-2.jsonl\` (and \`bootstrap-3.jsonl\`… if they do not fit one reply), numbered after the existing ones, of these types (how many more of each), keeping the rules:\n<missing-types>\n${Object.entries(missing).map(([t, n]) => `${t}: ${n}`).join('\n') || `any type: ${min - result.accepted.length}`}\n</missing-types>\n` +
      (result.rejected.length ? `Rejected so far (line: rule, reason):\n${result.rejected.slice(0, 20).map((r) => `${r.line}: ${r.rule}, ${r.reason}`).join('\n')}\n` : '');
  }
  // The pairs are the agent's words and ship with the code (run/scrub.ts).
  scrubAgentFolder(wt, TRAINING_REL, ctx.store.scrub);
  await commitAll(wt, `training: bootstrap pairs (${result!.accepted.length} accepted, ${result!.rejected.length} rejected)`, ENGINE_AUTHOR, [TRAINING_REL]);
  const shares = countByType(result!.accepted);
  const detail = `${result!.accepted.length} pairs accepted, ${result!.rejected.length} rejected; ${Object.entries(shares).map(([t, c]) => `${t} ${c.share}%`).join(', ')}`;
  if (result!.accepted.length < min) {
    return { status: 'halted', reason: `bootstrap produced ${result!.accepted.length} acceptable training pairs after a repair round; at least ${min} are needed (training.minPairs). ${detail}` };
  }
  return { status: 'done', detail };
}

/** A continuation file of bootstrap.jsonl: `bootstrap-2.jsonl`, `bootstrap-3.jsonl`… */
const CONTINUATION = /^bootstrap-(\d{1,4})\.jsonl$/;

/**
 * The agent's pairs: `bootstrap.jsonl`, then its continuation files in number order. One reply holds
 * only so much (max_tokens), and `write` replaces a whole file, so the prompt lets the agent go on in
 * `bootstrap-2.jsonl` and so on instead of rewriting an ever longer file; a longer reply was cut off
 * and thrown away. Only regular files are read. `files` names every file read, first the main one.
 */
export function joinedPairFiles(dir: string): { text: string; files: string[] } {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => CONTINUATION.test(n));
  } catch {
    // no training folder yet
  }
  names.sort((a, b) => Number(CONTINUATION.exec(a)![1]) - Number(CONTINUATION.exec(b)![1]));
  const files = [path.basename(OUTPUT), ...names];
  const text = files
    .map((name) => readAgentFile(dir, name) ?? '')
    .filter((t) => t.trim() !== '')
    .map((t) => (t.endsWith('\n') ? t : `${t}\n`))
    .join('');
  return { text, files };
}

/** Keeps only the accepted pairs in the file, the rejected ones (with their rule) in the run directory, and the manifest. */
function record(ctx: PipelineContext, text: string, result: QualityResult): void {
  const wt = ctx.store.paths.integrationWorktree;
  const lines = text.split('\n');
  const rejectedDir = path.join(ctx.store.paths.runDir, 'training');
  fs.mkdirSync(rejectedDir, { recursive: true });
  writeFileAtomic(
    path.join(rejectedDir, 'bootstrap-rejected.jsonl'),
    result.rejected.map((r) => JSON.stringify({ ...r, text: (lines[r.line - 1] ?? '').slice(0, 2000) }) + '\n').join(''),
  );
  // Stamped with the day they were accepted: Stage 7 expires pairs by type from it.
  const stamp = (ctx.clock ? ctx.clock() : new Date()).toISOString();
  writeFileAtomic(path.join(wt, OUTPUT), result.accepted.map((p) => JSON.stringify({ ...p, metadata: { ...p.metadata, created_at: p.metadata.created_at ?? stamp } }) + '\n').join(''));
  const manifestFile = path.join(wt, TRAINING_REL, 'manifest.json');
  const manifest = readManifest(manifestFile);
  manifest.files['bootstrap.jsonl'] = fileEntry(result.accepted, result.rejected);
  manifest.updated_at = new Date().toISOString();
  manifest.shares = countByType(result.accepted);
  writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  ctx.store.emit({ type: 'log', level: result.rejected.length ? 'warn' : 'info', message: `bootstrap: ${result.accepted.length} pairs accepted, ${result.rejected.length} rejected (${[...new Set(result.rejected.map((r) => r.rule))].join(', ') || 'none'})` });
}

interface Manifest {
  updated_at?: string;
  files: Record<string, unknown>;
  shares?: unknown;
}

function readManifest(file: string): Manifest {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    if (m && typeof m === 'object' && m.files && typeof m.files === 'object') return m;
  } catch {
    // none yet, or unreadable: start a new one.
  }
  return { files: {} };
}
