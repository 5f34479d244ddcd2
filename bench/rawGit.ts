/**
 * The raw-git baseline: a plain script doing the git work a run does for the same DAG, with nothing
 * else (no agents, no tests, no state): per module, a worktree from the scaffold commit, a `--no-ff`
 * merge of each dependency branch, a commit of the module's files, the worktree removed; then one
 * `--no-ff` merge per module into the integration branch. Its time is what git itself costs here.
 * The merges are the engine's own (mergeAllNoFf, mergeNoFf): over criss-cross history they are built
 * path by path, as in a run, where `git merge` would take minutes each at 200 modules.
 */
import { execFileSync } from 'node:child_process';
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
 * The baseline run `runs` times, one after another, and the median run taken: on this 2-core machine
 * one 32-module run took anywhere from 9.6 to 13.0 s within one quiet session, and the engine's ratio
 * to it moved with it (1.27× and 1.67× the build stage's non-model time in two runs of the same engine).
 */
export async function medianRawGitBaseline(modules: ReadonlyArray<{ name: string; dependsOn: readonly string[] }>, runs: number): Promise<RawGitResult> {
  const results: RawGitResult[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) results.push(await rawGitBaseline(modules));
  const sorted = [...results].sort((a, b) => a.totalMs - b.totalMs);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, runsMs: results.map((r) => r.totalMs) };
}
