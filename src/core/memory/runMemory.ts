/**
 * Where a run keeps its memory while it runs, and how it reaches the repository. The working copy is
 * in the run directory (survives a crash and a reboot, and is out of reach of the engine's resets
 * of the integration worktree); it starts from the repository's `.orchestration/memory/` as of the
 * run's base commit, and is published back into that folder on the integration branch, as an
 * engine commit, at the end of every stage, so it ships with the code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commitAll } from '../git';
import { publishTrainingManifest } from '../training/sessionPairs';
import { FileMemoryStore } from './fileStore';
import type { ArchiveRecord } from './types';
import type { Scrub } from '../run/scrub';

export const MEMORY_REL = '.orchestration/memory';

export function runMemoryRoot(runDir: string): string {
  return path.join(runDir, 'memory');
}

/** Opens the run's store, seeding it once from the repository's memory on the integration worktree. */
export function openRunMemory(runDir: string, integrationWorktree: string, scrub?: Scrub): FileMemoryStore {
  const root = runMemoryRoot(runDir);
  const seed = path.join(integrationWorktree, MEMORY_REL);
  if (!fs.existsSync(root)) {
    if (fs.existsSync(seed) && fs.lstatSync(seed).isDirectory()) copyPlainFiles(seed, root);
    else fs.mkdirSync(root, { recursive: true });
  }
  return new FileMemoryStore(root, scrub);
}

/** Copies the run's memory into the integration worktree and commits it there; returns the commit, if any. */
export async function publishRunMemory(runDir: string, integrationWorktree: string, author: { name: string; email: string }, what: string): Promise<string | null> {
  const target = path.join(integrationWorktree, MEMORY_REL);
  fs.rmSync(target, { recursive: true, force: true });
  copyPlainFiles(runMemoryRoot(runDir), target);
  // The builders' session-pair counts (checked at each hand-over, counted at the QC pass) join the training manifest here.
  const manifest = publishTrainingManifest(runDir, integrationWorktree);
  return commitAll(integrationWorktree, `memory: ${what}`, author, [MEMORY_REL, ...(manifest ? [manifest] : [])]);
}

/** Regular files and folders only: a symlink in a committed memory folder is not followed. */
function copyPlainFiles(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) copyPlainFiles(src, path.join(to, e.name));
    else if (e.isFile()) fs.copyFileSync(src, path.join(to, e.name));
  }
}

/** A contract change's replaced value, kept in L3 so agents can still find what was decided before. */
export function supersededRecord(applied: { item: string; old: unknown; new: unknown }, reason: string, at: Date): ArchiveRecord {
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return {
    id: `superseded-${applied.item.replace(/[^a-z0-9-]+/gi, '-')}-${at.getTime()}`,
    kind: 'superseded-decision',
    at: at.toISOString(),
    source: `superseded ${applied.item} (${at.toISOString()})`,
    text: `${applied.item} was: ${text(applied.old).slice(0, 8000)}\nReplaced by: ${text(applied.new).slice(0, 8000)}\nBecause: ${reason}`,
  };
}
