/**
 * Builders' per-module session pairs (M4, last bullet): when a builder hands its module over as done,
 * the engine checks `.orchestration/training/<module>-session-pairs.jsonl` in the module's worktree with
 * the same quality rules as Stage 1b, before it commits the builder's work. Only the accepted pairs stay
 * in the file (so they go into the builder's own commit, stamped with the day they were accepted, so
 * Stage 7 can expire them by type); the rejected ones go to the run directory at once
 * (`training/<module>-session-rejected.jsonl`). When the module passes QC, the file's counts go to
 * `training/manifest.json` (kept in the run directory until the memory is published onto the
 * integration branch) and the rejections are reported in the journal and the module's QC report: a
 * module that never passes adds nothing to the manifest.
 *
 * Why at the hand-over and not at the pass: an engine commit at the pass would move the module's branch
 * after QC graded it, so its dependents could not be prepared from the graded head while QC runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../run/runDir';
import { pairIdsIn } from './pairs';
import { checkPairs, type Rejection } from './quality';
import { fileEntry, type FileEntry } from './taxonomy';
import { readAgentFile, readWholeAgentFile } from '../agents/agentFiles';

export const TRAINING_DIR_REL = '.orchestration/training';

export function sessionPairsRel(module: string): string {
  return `${TRAINING_DIR_REL}/${module}-session-pairs.jsonl`;
}

/** Where the run keeps manifest entries until they are published (see publishTrainingManifest). */
function pendingManifest(runDir: string): string {
  return path.join(runDir, 'training', 'session-manifest.json');
}

/**
 * The first pair id a builder of `module` may use: a block of 100 ids per module (by its place in the
 * build order, after the bootstrap's ids) so parallel builders never collide, continued after the
 * highest id already in its file (a fix cycle or a resumed build appends).
 */
export function startPairId(worktree: string, module: string, buildOrder: readonly string[]): string {
  const base = 10_000 + 100 * Math.max(0, buildOrder.indexOf(module));
  let highest = base - 1;
  // The builder's own file: a FIFO or a link there must not block or lead the engine (none yet: no pairs).
  for (const m of (readAgentFile(worktree, sessionPairsRel(module)) ?? '').matchAll(/"pair_id"\s*:\s*"qa-(\d{5})"/g)) highest = Math.max(highest, Number(m[1]));
  return String(Math.min(highest + 1, 99_999)).padStart(5, '0');
}

export interface SessionCheck {
  file: string;
  accepted: number;
  rejected: Rejection[];
  /** The file's counts for the manifest: its accepted pairs, and every rejection on record for it. */
  entry: FileEntry;
  /** Every rejection on record for the file in this run (earlier checks' too: a fix cycle, a resumed run). */
  recorded: RecordedRejection[];
}

/** A rejection as the run's record keeps it (`training/<module>-session-rejected.jsonl`). */
export interface RecordedRejection {
  line: number;
  pairId?: string;
  rule: string;
  reason: string;
}

export interface SessionCheckInput {
  worktree: string;
  module: string;
  runDir: string;
  nouns: readonly string[];
  subjects: readonly string[];
  openConflicts: readonly { module: string; issue: string }[];
  now: Date;
}

/**
 * Checks one module's session pairs and rewrites the file with the accepted ones (left for the caller
 * to commit); undefined when the builder wrote none.
 */
export function checkSessionPairs(input: SessionCheckInput): SessionCheck | undefined {
  const rel = sessionPairsRel(input.module);
  const file = path.join(input.worktree, rel);
  // Read whole: the kept pairs are written back over the file.
  const text = readWholeAgentFile(input.worktree, rel);
  if (text === undefined) return undefined;
  // Ids are unique across the module's training files: the bootstrap's, the state pairs and the session pairs merged in with its dependencies.
  const takenIds = pairIdsIn(path.dirname(file), [path.basename(file)]);
  const result = checkPairs(text, { nouns: input.nouns, subjects: input.subjects, openConflicts: input.openConflicts, takenIds });
  const stamp = input.now.toISOString();
  const kept = result.accepted.map((p) => JSON.stringify({ ...p, metadata: { ...p.metadata, created_at: p.metadata.created_at ?? stamp } }) + '\n').join('');
  const lines = text.split('\n');
  const rejectedFile = path.join(input.runDir, 'training', `${input.module}-session-rejected.jsonl`);
  fs.mkdirSync(path.dirname(rejectedFile), { recursive: true });
  // Appended: a later check sees only the pairs kept before plus the new ones, so earlier rejections stay on record here.
  if (result.rejected.length) fs.appendFileSync(rejectedFile, result.rejected.map((r) => JSON.stringify({ ...r, at: stamp, text: (lines[r.line - 1] ?? '').slice(0, 2000) }) + '\n').join(''));
  if (kept !== text) writeFileAtomic(file, kept);
  // Counted from the record, so the rejections of an earlier check (a fix cycle's first hand-over) count by rule too.
  const recorded = rejectionsOnRecord(rejectedFile);
  return { file: rel, accepted: result.accepted.length, rejected: result.rejected, entry: fileEntry(result.accepted, recorded), recorded };
}

function rejectionsOnRecord(file: string): RecordedRejection[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l): RecordedRejection => {
      try {
        const r = JSON.parse(l) as Partial<Record<keyof RecordedRejection, unknown>>;
        return {
          line: typeof r.line === 'number' ? r.line : 0,
          ...(typeof r.pairId === 'string' ? { pairId: r.pairId } : {}),
          rule: typeof r.rule === 'string' ? r.rule : 'unknown',
          reason: typeof r.reason === 'string' ? r.reason : '',
        };
      } catch {
        // A line torn by a kill still stands for one rejection.
        return { line: 0, rule: 'unknown', reason: 'its record is unreadable' };
      }
    });
}

/** The file's counts, pending in the run directory until they are published (see publishTrainingManifest). */
export function recordSessionEntry(runDir: string, name: string, entry: FileEntry): void {
  const file = pendingManifest(runDir);
  const pending = readJson(file);
  pending[name] = entry;
  writeFileAtomic(file, JSON.stringify(pending, null, 2) + '\n');
}

function readJson(file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // none yet, or torn: start again (the entries are rewritten at the next QC pass)
  }
  return {};
}

/**
 * Brings the run's session-pair entries into `.orchestration/training/manifest.json` on the
 * integration worktree (next to the bootstrap's entry); returns the manifest's path relative to the
 * worktree when it changed, for the caller's commit.
 */
export function publishTrainingManifest(runDir: string, integrationWorktree: string): string | undefined {
  const pending = readJson(pendingManifest(runDir));
  if (Object.keys(pending).length === 0) return undefined;
  const rel = `${TRAINING_DIR_REL}/manifest.json`;
  const file = path.join(integrationWorktree, rel);
  const manifest = readJson(file) as { files?: Record<string, unknown>; updated_at?: string };
  const files = manifest.files && typeof manifest.files === 'object' ? manifest.files : {};
  const before = JSON.stringify(files);
  const merged = { ...files, ...pending };
  if (JSON.stringify(merged) === before) {
    fs.rmSync(pendingManifest(runDir), { force: true });
    return undefined;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify({ ...manifest, files: merged, updated_at: new Date().toISOString() }, null, 2) + '\n');
  // Published once: a later stage (curate's purge and regeneration) may change these files and their counts.
  fs.rmSync(pendingManifest(runDir), { force: true });
  return rel;
}
