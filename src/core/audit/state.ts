/**
 * The fan-out's progress file (`audit.json` in the run directory), written atomically after every
 * step, so a killed audit resumes without rerunning a finished worker or coordinator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../run/runDir';
import { AuditStateSchema, type AuditState } from './schemas';

export interface AuditDirs {
  /** Where `audit.json`, `workers/`, `synthesis/` and the report live (the run directory). */
  root: string;
  workers: string;
  synthesis: string;
  /** Throwaway trees for the agents, removed after each one. */
  trees: string;
  state: string;
}

export function auditDirs(root: string): AuditDirs {
  return {
    root,
    workers: path.join(root, 'workers'),
    synthesis: path.join(root, 'synthesis'),
    // A dot folder: no module name (they start with a letter) can collide with it in a build run's worktrees/.
    trees: path.join(root, 'worktrees', '.audit'),
    state: path.join(root, 'audit.json'),
  };
}

export class AuditStore {
  constructor(
    readonly dirs: AuditDirs,
    public state: AuditState,
  ) {}

  static open(dirs: AuditDirs, fresh: () => AuditState): AuditStore {
    for (const d of [dirs.workers, dirs.synthesis, dirs.trees]) fs.mkdirSync(d, { recursive: true });
    const store = new AuditStore(dirs, fs.existsSync(dirs.state) ? readAuditState(dirs.state) : fresh());
    store.save();
    return store;
  }

  update(mutate: (s: AuditState) => void): void {
    mutate(this.state);
    this.save();
  }

  save(): void {
    writeFileAtomic(this.dirs.state, JSON.stringify(this.state, null, 2) + '\n');
  }
}

export function readAuditState(file: string): AuditState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read audit state ${file}: ${(e as Error).message}`);
  }
  const parsed = AuditStateSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`audit state ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}
