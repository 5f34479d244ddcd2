/**
 * Stage 7, Curate (M11), after harden and before ship (so what it leaves ships with the code, and
 * a run that stops early still gets it): compresses L2 summaries beyond the window into L3,
 * purges expired training pairs by type (state 14 d, interface 60 d, architecture 90 d, by the
 * injectable clock), removes the remaining state pairs (they describe the run as planned), has the
 * training agent rewrite every builder's brain file to the final state and regenerate the state
 * pairs (curateAgent.ts), and writes the memory report (counts per layer, per role, per taxonomy
 * type, bytes) into the run directory, the run report and the stage's detail in the Stages tree.
 * Every step is idempotent, so a killed curate simply runs again on resume.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentFolderEntries, readAgentFile, readWholeAgentFile, scrubAgentFolder, writeAgentFile } from '../agents/agentFiles';
import { commitAll } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { BRAINS_REL } from '../memory/brain';
import { TAXONOMY, TrainingPairSchema, type Taxonomy, type TrainingPair } from '../training/pairs';
import { countByType, fileEntry } from '../training/taxonomy';
import { purgeExpired, type ExpiryClass } from '../training/expiry';
import { TRAINING_REL } from './bootstrap';
import { ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';
import { runCurateAgent, STATE_PAIRS_REL } from './curateAgent';

export const curateStage: Stage = { id: 'curate', title: 'Curate', run: runCurate, alwaysRuns: true };

export interface MemoryReport {
  at: string;
  l1: { files: number; bytes: number; byRole: Record<string, number> };
  l2: { summaries: number; byRole: Record<string, number> };
  l3: { records: number };
  l4: { pairs: number; byType: Record<Taxonomy, number>; purged: Record<ExpiryClass, number>; files: Record<string, number> };
  compressed: number;
  /** State pairs replaced by the agent's regenerated ones; brain files it rewrote or left to the engine. */
  regenerated: { statePairs: number; superseded: number; rejected: number; brainsRewritten: number; brainsByEngine: number };
  bytes: number;
}

function now(ctx: PipelineContext): Date {
  return ctx.clock ? ctx.clock() : new Date();
}

async function runCurate(ctx: PipelineContext): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const at = now(ctx);
  // A cancel is honoured between the steps (each of which can simply run again) and inside the agent.
  const stopped = (): StageResult | undefined => (ctx.signal.aborted ? { status: 'halted', reason: String(ctx.signal.reason ?? 'cancelled') } : undefined);
  if (stopped()) return stopped()!;
  const compressed = await ctx.memory.compress(ctx.config.memory.l2Window);
  if (stopped()) return stopped()!;
  const expired = purgeTraining(wt, at).purged;
  const superseded = dropStatePairs(wt);
  const agent = await runCurateAgent(ctx, at);
  finalBrainState(ctx, wt, at, agent.brainsByEngine);
  const l4 = { ...purgeTraining(wt, at), purged: expired };
  const report = await finishCuration(ctx, at, l4, compressed, { statePairs: agent.statePairs, superseded, rejected: agent.rejected.length, brainsRewritten: agent.brainsRewritten.length, brainsByEngine: agent.brainsByEngine.length });
  await commitAll(wt, `curate: final brain state (${agent.brainsRewritten.length} rewritten by the training agent), ${agent.statePairs} state pairs regenerated, ${compressed} summaries archived, ${Object.values(l4.purged).reduce((a, b) => a + b, 0)} expired pairs purged`, ENGINE_AUTHOR, [BRAINS_REL, TRAINING_REL]);
  return { status: 'done', detail: `memory: L1 ${report.l1.files} brains (${report.l1.bytes} B), L2 ${report.l2.summaries}, L3 ${report.l3.records}, L4 ${l4.pairs} pairs (purged ${l4.purged.state}/${l4.purged.interface}/${l4.purged.architecture}), ${report.bytes} B` };
}

/** The manifest recounted, the memory report written, the agents' words scrubbed: curate's last steps. */
async function finishCuration(ctx: PipelineContext, at: Date, l4: MemoryReport['l4'], compressed: number, regenerated: MemoryReport['regenerated']): Promise<MemoryReport> {
  const wt = ctx.store.paths.integrationWorktree;
  refreshManifest(wt);
  const stats = await ctx.memory.stats();
  const l1 = brainStats(wt);
  const report: MemoryReport = {
    at: at.toISOString(),
    l1,
    l2: { summaries: stats.l2, byRole: stats.l2ByRole },
    l3: { records: stats.l3 },
    l4,
    compressed,
    regenerated,
    bytes: l1.bytes + stats.bytes + dirBytes(path.join(wt, TRAINING_REL)),
  };
  writeFileAtomic(path.join(ctx.store.paths.runDir, 'memory-report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(path.join(ctx.store.paths.runDir, 'memory-report.md'), memoryReportMarkdown(report));
  // Brain files and pairs the training agent rewrote are its words, and ship with the code (run/scrub.ts).
  for (const rel of [BRAINS_REL, TRAINING_REL]) scrubAgentFolder(wt, rel, ctx.store.scrub);
  return report;
}

/**
 * Curate again for modules the ship gate's Request changes sent back to their builders (curate has
 * run by then): what those builders added is brought to the state curate leaves before it ships.
 * Their state pairs make way for the regenerated ones, expired pairs go, the new summaries are
 * compressed, the counts and the memory report follow, and each such builder's brain gets the
 * engine's final-state entry (the training agent is not asked again). Idempotent, as curate is.
 */
export async function curateChangedModules(ctx: PipelineContext, modules: readonly string[], round: number): Promise<void> {
  const wt = ctx.store.paths.integrationWorktree;
  const at = now(ctx);
  const compressed = await ctx.memory.compress(ctx.config.memory.l2Window);
  const superseded = dropStatePairs(wt);
  const brains = finalBrainState(ctx, wt, at, modules.map((m) => `${BRAINS_REL}/${m}-builder.md`), `after the changes asked at the ship gate, round ${round}`);
  const l4 = purgeTraining(wt, at);
  const before = readMemoryReport(ctx);
  const sum = (a: Record<ExpiryClass, number>, b?: Record<ExpiryClass, number>) => ({ state: a.state + (b?.state ?? 0), interface: a.interface + (b?.interface ?? 0), architecture: a.architecture + (b?.architecture ?? 0) });
  const regenerated = before?.regenerated ?? { statePairs: 0, superseded: 0, rejected: 0, brainsRewritten: 0, brainsByEngine: 0 };
  await finishCuration(ctx, at, { ...l4, purged: sum(l4.purged, before?.l4.purged) }, compressed + (before?.compressed ?? 0), { ...regenerated, superseded: regenerated.superseded + superseded, brainsByEngine: regenerated.brainsByEngine + brains });
  await commitAll(wt, `curate: the memory of ${modules.join(', ')} after the changes asked at the ship gate (${superseded} state pairs superseded, ${compressed} summaries archived)`, ENGINE_AUTHOR, [BRAINS_REL, TRAINING_REL]);
}

function readMemoryReport(ctx: PipelineContext): MemoryReport | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(ctx.store.paths.runDir, 'memory-report.json'), 'utf8')) as MemoryReport;
  } catch {
    return undefined;
  }
}

/**
 * A brain file the agent did not bring to the final state gets the run's outcome for its module from
 * the engine, once per run, so the final state is recorded either way.
 */
function finalBrainState(ctx: PipelineContext, wt: string, at: Date, leftToEngine: readonly string[], when?: string): number {
  let written = 0;
  for (const m of ctx.store.state.modules) {
    const rel = `${BRAINS_REL}/${m.name}-builder.md`;
    if (!leftToEngine.includes(rel)) continue;
    // A builder's brain came from its branch: read and written only as a regular file inside the worktree.
    const text = readWholeAgentFile(wt, rel);
    // Once per run, and once more per later change round (`when`): a brain that kept the first entry
    // still gets the one that says where the module ended.
    const marker = `## Final state (run ${ctx.store.state.runId}${when ? `, ${when}` : ''})`;
    if (text === undefined || text.includes(marker)) continue;
    const merged = ctx.store.state.merges.find((x) => x.module === m.name && x.status === 'MERGED');
    if (writeAgentFile(wt, rel, `${text.trimEnd()}\n\n${marker}\n${at.toISOString()}: ${m.status}, QC ${m.verdict ?? 'not graded'}, ${m.fixCycles} fix cycle(s)${merged ? `, merged into ${ctx.store.state.integrationBranch}` : ', not merged'}.\n`)) written++;
  }
  return written;
}

/**
 * The training folder's `.jsonl` files, as paths relative to the worktree. The files came from
 * builders' branches (and the curate agent), so the folder must be a real one inside the worktree,
 * and each file is then read and written only as an agent's file: a symlink committed at a pair
 * file's path led the engine's rewrite of it outside the worktree.
 */
function trainingFiles(wt: string, keep: (name: string) => boolean = () => true): string[] {
  return agentFolderEntries(wt, TRAINING_REL).filter((rel) => rel.endsWith('.jsonl') && keep(path.basename(rel)));
}

/** State pairs outside state.jsonl describe the project as it was when they were written: they make way for the regenerated ones. */
function dropStatePairs(wt: string): number {
  let dropped = 0;
  for (const rel of trainingFiles(wt, (n) => `${TRAINING_REL}/${n}` !== STATE_PAIRS_REL)) {
    const text = readWholeAgentFile(wt, rel);
    if (text === undefined) continue;
    const lines = text.split('\n').filter((l) => l.trim());
    const keep = lines.filter((l) => {
      try {
        return TrainingPairSchema.shape.metadata.shape.taxonomy.safeParse((JSON.parse(l) as { metadata?: { taxonomy?: unknown } }).metadata?.taxonomy).data !== 'state_status';
      } catch {
        return true;
      }
    });
    if (keep.length === lines.length) continue;
    if (writeAgentFile(wt, rel, keep.map((l) => l + '\n').join(''))) dropped += lines.length - keep.length;
  }
  return dropped;
}

function purgeTraining(wt: string, at: Date): MemoryReport['l4'] {
  const purged: Record<ExpiryClass, number> = { state: 0, interface: 0, architecture: 0 };
  const byType = Object.fromEntries(TAXONOMY.map((t) => [t, 0])) as Record<Taxonomy, number>;
  const files: Record<string, number> = {};
  let pairs = 0;
  for (const rel of trainingFiles(wt)) {
    const name = path.basename(rel);
    const text = readWholeAgentFile(wt, rel);
    if (text === undefined) continue;
    const result = purgeExpired(text, at, fs.lstatSync(path.join(wt, rel)).mtime.toISOString());
    if (Object.values(result.purged).some((n) => n > 0)) {
      if (!writeAgentFile(wt, rel, [...result.kept.map((p) => JSON.stringify(p)), ...result.untouched].map((l) => l + '\n').join(''))) {
        // Not rewritten (swapped meanwhile): it stays as it was, every line of it counted.
        files[name] = text.split('\n').filter((l) => l.trim()).length;
        pairs += files[name]!;
        continue;
      }
    }
    for (const k of Object.keys(purged) as ExpiryClass[]) purged[k] += result.purged[k];
    files[name] = result.kept.length + result.untouched.length;
    for (const p of result.kept) byType[p.metadata.taxonomy]++;
    for (const l of result.untouched) {
      try {
        const t = TrainingPairSchema.shape.metadata.shape.taxonomy.safeParse((JSON.parse(l) as { metadata?: { taxonomy?: unknown } }).metadata?.taxonomy);
        if (t.success) byType[t.data]++;
      } catch {
        // not a pair: counted in the file's lines only
      }
    }
    pairs += files[name]!;
  }
  return { pairs, byType, purged, files };
}

/**
 * The manifest's counts follow the files after curate changed them (expired pairs purged, stale state
 * pairs replaced): accepted and per-type counts are recounted from each file; rejection counts stay
 * as they were recorded when the pairs were checked; the shares are over every file.
 */
function refreshManifest(wt: string): void {
  const rel = `${TRAINING_REL}/manifest.json`;
  let manifest: { files?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  try {
    manifest = JSON.parse(readAgentFile(wt, rel) ?? '') as typeof manifest;
  } catch {
    return;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return;
  const all: TrainingPair[] = [];
  for (const name of Object.keys(manifest.files ?? {})) {
    const text = readAgentFile(wt, `${TRAINING_REL}/${path.basename(name)}`);
    if (text === undefined) continue;
    const pairs = text.split('\n').flatMap((l) => {
      try {
        const p = TrainingPairSchema.safeParse(JSON.parse(l));
        return p.success ? [p.data] : [];
      } catch {
        return [];
      }
    });
    all.push(...pairs);
    const fresh = fileEntry(pairs, []);
    manifest.files![name] = { ...manifest.files![name], accepted: fresh.accepted, byType: fresh.byType };
  }
  manifest['shares'] = countByType(all);
  manifest['updated_at'] = new Date().toISOString();
  // Read through the same checks, so the folder is a real one inside the worktree: a rename there is.
  writeFileAtomic(path.join(wt, rel), JSON.stringify(manifest, null, 2) + '\n');
}

function brainStats(wt: string): MemoryReport['l1'] {
  const dir = path.join(wt, BRAINS_REL);
  const byRole: Record<string, number> = {};
  let bytes = 0;
  try {
    if (!fs.lstatSync(dir).isDirectory()) return { files: 0, bytes: 0, byRole }; // a link is not the brains folder
    for (const n of fs.readdirSync(dir).filter((x) => x.endsWith('.md'))) {
      const stat = fs.lstatSync(path.join(dir, n));
      if (!stat.isFile()) continue;
      const size = stat.size;
      byRole[n.replace(/\.md$/, '')] = size;
      bytes += size;
    }
  } catch {
    // no brains yet
  }
  return { files: Object.keys(byRole).length, bytes, byRole };
}

function dirBytes(dir: string): number {
  try {
    return fs.readdirSync(dir).reduce((sum, n) => {
      const stat = fs.lstatSync(path.join(dir, n));
      return sum + (stat.isFile() ? stat.size : 0);
    }, 0);
  } catch {
    return 0;
  }
}

export function memoryReportMarkdown(r: MemoryReport): string {
  return [
    '## Memory',
    '',
    '| layer | count | detail |',
    '|---|---|---|',
    `| L1 brain files | ${r.l1.files} | ${r.l1.bytes} bytes |`,
    `| L2 session summaries | ${r.l2.summaries} | ${Object.entries(r.l2.byRole).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} |`,
    `| L3 archive | ${r.l3.records} | ${r.compressed} summaries compressed this run |`,
    `| L4 training pairs | ${r.l4.pairs} | ${TAXONOMY.map((t) => `${t} ${r.l4.byType[t]}`).join(', ')} |`,
    `| state pairs regenerated | ${r.regenerated.statePairs} | replacing ${r.regenerated.superseded}; ${r.regenerated.rejected} rejected by the quality rules |`,
    `| brain files brought to the final state | ${r.regenerated.brainsRewritten + r.regenerated.brainsByEngine} | ${r.regenerated.brainsRewritten} rewritten by the training agent, ${r.regenerated.brainsByEngine} by the engine |`,
    `| expired pairs purged | ${r.l4.purged.state + r.l4.purged.interface + r.l4.purged.architecture} | state ${r.l4.purged.state}, interface ${r.l4.purged.interface}, architecture ${r.l4.purged.architecture} |`,
    `| bytes | ${r.bytes} | |`,
    '',
  ].join('\n');
}
