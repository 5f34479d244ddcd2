/**
 * The raw-git baseline: a plain script doing the git work a run does for the same DAG, with nothing
 * else (no agents, no tests, no state): per module, a worktree from the scaffold commit, a `--no-ff`
 * merge of each dependency branch, a commit of the module's files, the worktree removed; then one
 * `--no-ff` merge per module into the integration branch. Its time is what git itself costs here.
 * The merges are the engine's own (mergeAllNoFf, mergeNoFf): over criss-cross history they are built
 * path by path, as in a run, where `git merge` would take minutes each at 200 modules.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergeAllNoFf, mergeNoFf } from '../src/core/git/merge';

export interface RawGitResult {
  totalMs: number;
  /** Every run's total when the baseline was run more than once (the result is the median run's). */
  runsMs: number[];
  /** Per module: its worktree, merges and commit, plus its merge into the integration branch. */
  perModuleMs: Record<string, number>;
}

const RAW = 'orchestration/raw';
const IDENTITY = { name: 'raw', email: 'raw@x.invalid' };

export async function rawGitBaseline(modules: ReadonlyArray<{ name: string; dependsOn: readonly string[] }>): Promise<RawGitResult> {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-rawgit-'));
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=raw', '-c', 'user.email=raw@x.invalid', '-c', 'commit.gpgSign=false', ...args], { cwd, stdio: 'pipe' });
  try {
    git(repo, 'init', '-q', '-b', 'main');
    for (const m of modules) {
      fs.mkdirSync(path.join(repo, 'src', m.name), { recursive: true });
      fs.writeFileSync(path.join(repo, 'src', m.name, 'index.js'), `// scaffold of ${m.name}\n`);
    }
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'scaffold');
    const integration = path.join(repo, '.wt-integration');
    git(repo, 'worktree', 'add', '-q', '-b', `${RAW}/integration`, integration, 'main');
    const perModuleMs: Record<string, number> = {};
    const started = Date.now();
    for (const m of modules) {
      const t = Date.now();
      const wt = path.join(repo, `.wt-${m.name}`);
      git(repo, 'worktree', 'add', '-q', '-b', `${RAW}/${m.name}`, wt, 'main');
      const deps = await mergeAllNoFf(wt, m.dependsOn.map((dep) => ({ branch: `${RAW}/${dep}`, message: `bring in ${dep}` })), IDENTITY);
      if (deps.status !== 'clean') throw new Error(`raw git: bringing the dependencies into ${m.name} conflicted`);
      fs.writeFileSync(path.join(wt, 'src', m.name, 'index.js'), `module.exports = ${JSON.stringify(m.name)};\n`);
      fs.writeFileSync(path.join(wt, 'src', m.name, 'index.test.js'), `require('./index.js');\n`);
      git(wt, 'add', '-A', '--', `src/${m.name}`);
      git(wt, 'commit', '-q', '-m', `build(${m.name})`);
      git(repo, 'worktree', 'remove', '--force', wt);
      perModuleMs[m.name] = Date.now() - t;
    }
    for (const m of modules) {
      const t = Date.now();
      const merged = await mergeNoFf(integration, `${RAW}/${m.name}`, `merge ${m.name}`, IDENTITY);
      if (merged.status !== 'clean') throw new Error(`raw git: merging ${m.name} conflicted`);
      perModuleMs[m.name] = (perModuleMs[m.name] ?? 0) + Date.now() - t;
    }
    const totalMs = Date.now() - started;
    return { totalMs, runsMs: [totalMs], perModuleMs };
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

/**
 * The median of several runs. With an even count it is the mean of the middle two, per module as
 * well, so that a baseline measured as often before a case as after it leans to neither side.
 */
const mean = (xs: readonly number[]) => xs.reduce((n, x) => n + x, 0) / Math.max(1, xs.length);

export function medianRun(results: readonly RawGitResult[]): RawGitResult {
  if (results.length === 0) throw new Error('raw git: no run to take the median of');
  const sorted = [...results].sort((a, b) => a.totalMs - b.totalMs);
  const middle = sorted.length % 2 === 1 ? [sorted[(sorted.length - 1) / 2]!] : [sorted[sorted.length / 2 - 1]!, sorted[sorted.length / 2]!];
  const names = Object.keys(middle[0]!.perModuleMs);
  return {
    totalMs: mean(middle.map((r) => r.totalMs)),
    runsMs: results.map((r) => r.totalMs),
    perModuleMs: Object.fromEntries(names.map((n) => [n, mean(middle.map((r) => r.perModuleMs[n] ?? 0))])),
  };
}

type Modules = ReadonlyArray<{ name: string; dependsOn: readonly string[] }>;

/**
 * `runs` baselines in a process of their own (`node out/bench/rawGit.js`, the modules on stdin), so
 * that a baseline taken before a case leaves nothing in the case's process (no git host, no heap, no
 * child process in its counts), and runs as a plain script does, from a process of a script's size.
 */
export function rawGitBaselineRuns(modules: Modules, runs: number): Promise<RawGitResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, String(runs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as RawGitResult[]);
      const why = err.split('\n').find((l) => l.trim()) ?? 'no result and nothing on stderr';
      reject(new Error(`raw-git baseline process exited ${code}: ${why}`));
    });
    child.stdin.end(JSON.stringify(modules));
  });
}

export interface BracketedRawGit extends RawGitResult {
  beforeMs: number[];
  afterMs: number[];
}

/**
 * The baseline measured on both sides of `work`: `runsEach` runs just before it and as many just
 * after, the median over all of them. This VM's process starts speed up and slow down from minute to
 * minute (one process's runs of the 32-module baseline went 3.55 → 8.20 s on an idle machine), so a
 * baseline taken only after the case measured the machine of a few minutes later; the two sides
 * printed apart show how far it moved while the case ran.
 */
export async function rawGitAround<T>(modules: Modules, runsEach: number, work: () => Promise<T>): Promise<{ result: T; raw: BracketedRawGit }> {
  const before = await rawGitBaselineRuns(modules, runsEach);
  const result = await work();
  const after = await rawGitBaselineRuns(modules, runsEach);
  const raw = medianRun([...before, ...after]);
  return { result, raw: { ...raw, beforeMs: before.map((r) => r.totalMs), afterMs: after.map((r) => r.totalMs) } };
}

/**
 * Before and after the case differing by more than this, and by more than half a second (the
 * 8-module baseline takes well under a second: 0.6 against 0.7 s is noise), reads as the machine
 * changing speed.
 */
const DRIFT_WARNING = 1.2;
const DRIFT_MIN_MS = 500;

/** The baseline's runs on each side of the case, for the bench's line, with a warning when the machine's speed moved between them. */
export function rawGitSides(beforeMs: readonly number[], afterMs: readonly number[]): string {
  const side = (runs: readonly number[]) => runs.map((ms) => (ms / 1000).toFixed(1)).join(', ');
  const before = mean(beforeMs);
  const after = mean(afterMs);
  const moved = Math.max(before, after) / Math.max(1, Math.min(before, after));
  const drifted = moved > DRIFT_WARNING && Math.abs(after - before) > DRIFT_MIN_MS;
  return (
    ` (median of ${beforeMs.length + afterMs.length}: before the case ${side(beforeMs)} s, after it ${side(afterMs)} s` +
    (drifted ? `; the machine's git speed moved ${moved.toFixed(2)}× during the case, so the ratios below carry that much doubt)` : ')')
  );
}

const RESULT_PREFIX = 'RAW-GIT ';

if (require.main === module) {
  let input = '';
  process.stdin.on('data', (d: Buffer) => (input += d.toString()));
  process.stdin.on('end', () => {
    const modules = JSON.parse(input) as Modules;
    const runs = Math.max(1, Number(process.argv[2]) || 1);
    (async () => {
      const results: RawGitResult[] = [];
      for (let i = 0; i < runs; i++) results.push(await rawGitBaseline(modules));
      return results;
    })().then(
      (results) => {
        process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(results)}\n`);
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  });
}
