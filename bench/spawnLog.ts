/**
 * Counts the child processes a process starts, by command, and how long each start held the event
 * loop (the synchronous part of spawn/execFile; all of a spawnSync). Loaded with `node -r` and active
 * only when BENCH_SPAWN_LOG names a file: `BENCH_SPAWN_LOG=/tmp/spawns.json node -r
 * ./out/bench/spawnLog.js out/bench/case.js 8 diamond`. The summary is written to that file when the
 * process exits. bench/case.ts counts the same way for every case. A measuring aid for the bench,
 * never loaded by the engine itself.
 */
// The module object itself (an import-star copy would have getters only), so replacing its functions reaches every caller.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import childProcess = require('node:child_process');
import * as fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { subcommandOf } from '../src/core/git/spawner';

export interface SpawnTally {
  count: number;
  /** Event-loop time the starts took, summed (ms). */
  syncMs: number;
  maxSyncMs: number;
}

/** `git <subcommand>` (skipping `-c k=v` and other leading options), else the program's name. */
export function commandKey(file: string, args: readonly string[]): string {
  const program = path.basename(file);
  if (program === 'git') return subcommandOf(args);
  if ((program === 'bash' || program === 'sh') && args[0] === '-c') {
    // A sandboxed shell or test command: bwrap is what it runs first.
    return /\bbwrap\b/.test(args[1] ?? '') ? `${program} -c (bwrap …)` : `${program} -c …`;
  }
  if (program === 'which') return `which ${args[0] ?? ''}`;
  return program;
}

export interface SpawnSummary {
  total: { count: number; syncMs: number };
  byCommand: Record<string, SpawnTally>;
}

/**
 * Starts counting this process's child processes; `summary()` gives the tally so far. Every
 * start of node:child_process is counted (the engine's git calls, the sandbox runtime's `which`,
 * `rg` and `bwrap`, the test commands), whichever module imported it.
 */
export function countSpawns(): { summary: () => SpawnSummary; reset: () => void } {
  const tallies = new Map<string, SpawnTally>();
  const record = (key: string, ms: number) => {
    const t = tallies.get(key) ?? { count: 0, syncMs: 0, maxSyncMs: 0 };
    t.count++;
    t.syncMs += ms;
    t.maxSyncMs = Math.max(t.maxSyncMs, ms);
    tallies.set(key, t);
  };
  const cp = childProcess as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync']) {
    const original = cp[name]!;
    cp[name] = function patched(this: unknown, ...a: unknown[]) {
      const shellLine = name === 'exec' || name === 'execSync';
      const key = shellLine ? `sh -c ${String(a[0]).split(' ')[0]}` : commandKey(String(a[0]), Array.isArray(a[1]) ? (a[1] as string[]) : []);
      const started = performance.now();
      try {
        return original.apply(this, a);
      } finally {
        record(key, performance.now() - started);
      }
    };
  }
  // The sandbox runtime is an ES module: its named imports of node:child_process follow this.
  syncBuiltinESMExports();
  return {
    reset: () => tallies.clear(),
    summary: () => {
      const rows = [...tallies].sort((x, y) => y[1].count - x[1].count);
      const total = rows.reduce((n, [, t]) => ({ count: n.count + t.count, syncMs: n.syncMs + t.syncMs }), { count: 0, syncMs: 0 });
      return { total, byCommand: Object.fromEntries(rows) };
    },
  };
}

/**
 * `node -r out/bench/spawnLog.js …` with BENCH_SPAWN_LOG=<file>: the tally is written there on exit.
 * Only when preloaded (no main module yet): imported by the bench, this hook overwrote the case's own
 * log at exit, in the case's process and again in `npm run bench`'s.
 */
if (process.env.BENCH_SPAWN_LOG && require.main === undefined) {
  const file = process.env.BENCH_SPAWN_LOG;
  const counter = countSpawns();
  process.once('exit', () => fs.writeFileSync(file, JSON.stringify(counter.summary(), null, 2)));
}
