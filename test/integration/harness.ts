/**
 * Integration-test harness: a real git repository in a temp folder (with a dirty file the engine must
 * never touch), the real engine, the real SDK, and the scripted model over loopback HTTP.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startRun, resumeRun } from '../../src/core/engine';
import type { GateAnswer, GateHandler, GateRequest, OfflineModelStarter, RunResult } from '../../src/core/api';
import type { PipelineConfig } from '../../src/core/config';
import type { PipelineEvent } from '../../src/core/events';
import type { ScriptedModelOptions } from '../../src/scripted/types';
import { sampleDescription, startScriptedModel } from '../../src/scripted';
export { projectRoot } from '../../scripts/projectRoot';

export const DIRTY_CONTENT = 'my unsaved work\n\u0000binary-ish \r\n tail';

export interface TestRepo {
  root: string;
  git(...args: string[]): string;
  cleanup(): void;
}

export function makeRepo(): TestRepo {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-it-')));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'user', GIT_AUTHOR_EMAIL: 'u@x.invalid', GIT_COMMITTER_NAME: 'user', GIT_COMMITTER_EMAIL: 'u@x.invalid' } }).trim();
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(root, 'README.md'), '# user project\n');
  fs.writeFileSync(path.join(root, 'notes.txt'), 'committed notes\n');
  git('add', '.');
  git('commit', '-q', '-m', 'user: initial');
  // Uncommitted work of the user's: a modified tracked file, a staged file and an untracked file.
  fs.writeFileSync(path.join(root, 'notes.txt'), DIRTY_CONTENT);
  fs.writeFileSync(path.join(root, 'staged.txt'), 'staged\n');
  git('add', 'staged.txt');
  fs.writeFileSync(path.join(root, 'untracked.txt'), 'untracked\n');
  return { root, git, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** The harness repository without the user's uncommitted work: a clean checkout of main, so a run can ship into it. */
export function makeCleanRepo(): TestRepo {
  const repo = makeRepo();
  repo.git('reset', '-q', 'staged.txt');
  repo.git('checkout', '--', 'notes.txt');
  fs.rmSync(path.join(repo.root, 'staged.txt'));
  fs.rmSync(path.join(repo.root, 'untracked.txt'));
  return repo;
}

export interface UserTreeSnapshot {
  head: string;
  branch: string;
  status: string;
  files: Record<string, string>;
  stagedDiff: string;
}

export function snapshotUserTree(repo: TestRepo): UserTreeSnapshot {
  const files: Record<string, string> = {};
  for (const f of ['README.md', 'notes.txt', 'staged.txt', 'untracked.txt']) files[f] = fs.readFileSync(path.join(repo.root, f), 'latin1');
  return {
    head: repo.git('rev-parse', 'HEAD'),
    branch: repo.git('rev-parse', '--abbrev-ref', 'HEAD'),
    status: repo.git('status', '--porcelain=v1', '--untracked-files=all'),
    files,
    stagedDiff: repo.git('diff', '--cached', '--binary'),
  };
}

export const approveAll: GateHandler = async () => ({ decision: 'approve' });

export function scriptedGate(answers: GateAnswer[]): GateHandler & { requests: GateRequest[] } {
  const requests: GateRequest[] = [];
  const handler = (async (req: GateRequest) => {
    requests.push(req);
    return answers.shift() ?? { decision: 'approve' };
  }) as unknown as GateHandler & { requests: GateRequest[] };
  handler.requests = requests;
  return handler;
}

/** The engine's offline model, injected the way the CLI and the extension do: the scripted model playing `options`. */
export function scriptedModel(options: ScriptedModelOptions = {}): OfflineModelStarter {
  return () => startScriptedModel(options);
}

/** Runs end after assembly unless a test asks for harden and ship (`{ ...FAST_CONFIG, stopAfter: undefined }`). */
export const FAST_CONFIG: Partial<PipelineConfig> = { retryBaseDelayMs: 5, testTimeoutMs: 60_000, stopAfter: 'assemble' };


export interface RunOutcome {
  result: RunResult;
  events: PipelineEvent[];
}

export async function runPipeline(
  repo: TestRepo,
  opts: { scenario?: ScriptedModelOptions; gate?: GateHandler; description?: string; config?: Partial<PipelineConfig>; onStart?: (cancel: () => void) => void; onEvent?: (e: PipelineEvent) => void; clock?: () => Date } = {},
): Promise<RunOutcome> {
  const handle = await startRun({
    repoRoot: repo.root,
    description: opts.description ?? sampleDescription,
    offline: true,
    offlineModel: scriptedModel(opts.scenario),
    gate: opts.gate ?? approveAll,
    approver: 'test',
    config: { ...FAST_CONFIG, ...opts.config },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const events: PipelineEvent[] = [];
  handle.onEvent((e) => events.push(e));
  if (opts.onEvent) handle.onEvent(opts.onEvent);
  opts.onStart?.((() => handle.cancel('test cancel')));
  const result = await handle.done;
  return { result, events };
}

export async function resumePipeline(repo: TestRepo, runId: string, gate: GateHandler = approveAll, scenario: ScriptedModelOptions = {}, config: Partial<PipelineConfig> = FAST_CONFIG): Promise<RunOutcome> {
  const handle = await resumeRun({ repoRoot: repo.root, runId, offline: true, offlineModel: scriptedModel(scenario), gate, approver: 'test', config });
  const events: PipelineEvent[] = [];
  handle.onEvent((e) => events.push(e));
  const result = await handle.done;
  return { result, events };
}

export function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}
