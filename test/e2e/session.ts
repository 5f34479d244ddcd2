/**
 * One suite's code-server, repository and workbench, opened in the suite's `before` and closed in its
 * `after` (a last screenshot first), so each suite says only what is its own: the repository it
 * drives and the name its log and screenshots go under.
 */
import * as path from 'node:path';
import { CodeServer } from './codeServer';
import { E2E, SETTINGS, type E2eRepo } from './fixtures';
import { Workbench } from './workbench';

export interface E2eSession {
  server: CodeServer;
  repo: E2eRepo;
  wb: Workbench;
  /** The repository's HEAD before the suite ran anything. */
  headBefore: string;
}

export interface E2eSessionOptions {
  /** Makes the repository the suite drives (called in `before`). */
  repo: () => E2eRepo;
  viewport?: { width: number; height: number };
  /** User settings over the suites' common ones (fixtures.ts: SETTINGS). */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension hosts (e.g. BP_TIMING_LOG). */
  env?: Record<string, string>;
}

/**
 * Registers the suite's `before`/`after` hooks; the returned object is filled in by `before`.
 * `name` names the log (`code-server-<name>.log`) and the screenshot folder under the artifacts.
 */
export function e2eSession(name: string, opts: E2eSessionOptions): E2eSession {
  const s = {} as E2eSession;
  before(async () => {
    s.repo = opts.repo();
    s.headBefore = s.repo.git('rev-parse', 'HEAD');
    s.server = await CodeServer.start({
      bin: E2E.codeServer,
      vsix: E2E.vsix,
      settings: { ...SETTINGS, ...opts.settings },
      logFile: path.join(E2E.artifacts, `code-server-${name}.log`),
      ...(opts.env ? { env: opts.env } : {}),
    });
    s.wb = await Workbench.open(s.server.url, s.repo.root, path.join(E2E.artifacts, name), opts.viewport);
  });
  after(async () => {
    if (s.wb) await s.wb.screenshot('final').catch(() => undefined);
    await s.wb?.close();
    await s.server?.stop();
    s.repo?.cleanup();
  });
  return s;
}
