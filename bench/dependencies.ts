/**
 * Dependencies per worktree: how long a module worktree waits for its installed dependencies, for
 * each way of providing them (src/core/stack/dependencyStore.ts), from a store shaped like a real
 * node_modules (many small files in nested packages). Figures, not assertions.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { provideDependencies, type ProvideStrategy } from '../src/core/stack/dependencyStore';

const PACKAGES = Number(process.env.BENCH_DEP_PACKAGES ?? 300);
const FILES_PER_PACKAGE = 12;
const FILE_BYTES = 4096;
const WORKTREES = 4;

export interface DependencyFigures {
  files: number;
  megabytes: number;
  /** Milliseconds per worktree, median of WORKTREES runs, by strategy. */
  perWorktreeMs: Record<ProvideStrategy, number>;
}

function makeStore(root: string): number {
  const payload = Buffer.alloc(FILE_BYTES, 97);
  let files = 0;
  for (let p = 0; p < PACKAGES; p++) {
    const dir = path.join(root, 'node_modules', `pkg-${p}`, p % 3 === 0 ? 'lib/internal' : 'lib');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(root, 'node_modules', `pkg-${p}`, 'package.json'), `{"name":"pkg-${p}","version":"1.0.0"}\n`);
    files++;
    for (let f = 1; f < FILES_PER_PACKAGE; f++, files++) fs.writeFileSync(path.join(dir, `f${f}.js`), payload);
  }
  return files;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function measureDependencyProvisioning(): Promise<DependencyFigures> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bench-deps-'));
  try {
    const store = path.join(base, 'store');
    const files = makeStore(store);
    const perWorktreeMs = {} as Record<ProvideStrategy, number>;
    for (const strategy of ['hardlink', 'copy', 'symlink'] as const) {
      const times: number[] = [];
      for (let i = 0; i < WORKTREES; i++) {
        const wt = path.join(base, `${strategy}-${i}`);
        fs.mkdirSync(wt);
        times.push((await provideDependencies(store, wt, strategy)).ms);
      }
      perWorktreeMs[strategy] = median(times);
    }
    return { files, megabytes: (files * FILE_BYTES) / 1024 / 1024, perWorktreeMs };
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

export function dependencyLine(f: DependencyFigures): string {
  const t = f.perWorktreeMs;
  return (
    `dependencies per worktree (store of ${f.files} files, ${f.megabytes.toFixed(0)} MB, median of ${WORKTREES}): ` +
    `hard-link tree ${t.hardlink} ms (used), copy ${t.copy} ms, symlink ${t.symlink} ms (shared, not isolated)`
  );
}
