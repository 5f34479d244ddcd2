/** Shared by the e2e suites: paths from run-e2e.sh, a throwaway git repository, the settings to start with. */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const E2E = {
  codeServer: mustEnv('BP_CODE_SERVER'),
  vsix: mustEnv('BP_VSIX'),
  artifacts: mustEnv('BP_E2E_ARTIFACTS'),
  /** The checkout under test (run-e2e.sh runs from it). */
  root: process.cwd(),
};

function mustEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the e2e tests through test/e2e/run-e2e.sh (npm run test:e2e)`);
  return v;
}

export interface E2eRepo {
  root: string;
  git(...args: string[]): string;
  cleanup(): void;
}

export interface RepoOptions {
  /**
   * `.build-pipeline.json`. Default: the UI suite drives stages 1-4 and checks the user's branch stays
   * where it was, so the run ends after assembly (curate still runs), without harden and the
   * ship merge into main. `null`: no file, the whole pipeline including the ship gate.
   */
  config?: Record<string, unknown> | null;
  /** Files of the initial commit besides README.md (path relative to the repository → content). */
  files?: Record<string, string>;
}

export function makeRepo(opts: RepoOptions = {}): E2eRepo {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-repo-')));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@x.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@x.invalid' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', env }).trim();
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(root, 'README.md'), '# e2e project\n');
  const config = opts.config === undefined ? { stopAfter: 'assemble' } : opts.config;
  if (config) fs.writeFileSync(path.join(root, '.build-pipeline.json'), JSON.stringify(config, null, 2) + '\n');
  for (const [file, content] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return { root, git, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export const SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'buildPipeline.offlineDemo': true,
};

/** The run directories of a repository (each with a state.json or plan-run.json), oldest first. */
export function runDirs(repoRoot: string): string[] {
  const runs = path.join(repoRoot, '.git', 'build-pipeline', 'runs');
  if (!fs.existsSync(runs)) return [];
  return fs
    .readdirSync(runs)
    .filter((n) => fs.existsSync(path.join(runs, n, 'state.json')) || fs.existsSync(path.join(runs, n, 'plan-run.json')))
    .sort()
    .map((n) => path.join(runs, n));
}

/**
 * A build run of the sample project waiting at its blueprint gate, started with the CLI as a user
 * without a terminal would (offline, no key in the environment): the CLI exits 3 at the gate.
 */
export function startAtBlueprintGate(repoRoot: string): void {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  delete env.ANTHROPIC_BASE_URL;
  const description = 'Build a CLI tool with a greeter module and a formatter module.';
  const cli = spawnSync(process.execPath, [path.join(E2E.root, 'dist', 'cli.js'), 'start', description, '--cwd', repoRoot, '--offline'], { encoding: 'utf8', env, timeout: 170_000 });
  assert.equal(cli.status, 3, cli.stdout + cli.stderr);
}
