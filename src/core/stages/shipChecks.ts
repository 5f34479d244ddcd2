/**
 * What the engine runs on the release commit before the ship gate: the toolchain's optional `build`,
 * the full integration test suite, and the optional `lint` (modules.json `toolchain`, approved
 * verbatim at the blueprint gate), each sandboxed like every other command of the run.
 *
 * Build first, because a compiled project's tests may run on the build output. What each result means
 * for the gate:
 * - tests red: the ship stage halts (nothing to approve);
 * - build red: BLOCKING. The gate is shown with the failure; approving it runs these checks again
 *   (the human may have fixed the build since) and is refused while the build still fails: code that
 *   does not build must not land on the user's branch. Fix it, request changes (naming the module at
 *   fault sends it to its builder) or reject;
 * - lint red: a WARNING shown at the gate. Lint rules are taste and policy (and often already red on
 *   the user's existing code); the tests and the build decide whether the code works, the human
 *   decides whether the warnings matter.
 * The results are kept in `ship-checks.json` so the gate (and a resumed run at the gate) reads them
 * without running anything again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { agentShellEnv } from '../agents/env';
import { headCommit, resetHard } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { runCommand, stoppedError } from '../shell';
import { moduleDirOf, projectCommands } from '../stack/commands';
import { integrationTestCommand } from './moduleTestCommand';
import type { PipelineContext } from './context';

const CheckSchema = z.object({ command: z.string(), ok: z.boolean(), timedOut: z.boolean().default(false), output: z.string() });
export type CheckResult = z.infer<typeof CheckSchema>;

const ShipChecksSchema = z.object({
  commit: z.string(),
  build: CheckSchema.optional(),
  tests: CheckSchema,
  lint: CheckSchema.optional(),
});
export type ShipChecks = z.infer<typeof ShipChecksSchema>;

/** The end of a command's output kept for the gate and the summary: where failures are summed up. */
const OUTPUT_TAIL = 4000;

function checksFile(runDir: string): string {
  return path.join(runDir, 'ship-checks.json');
}

export async function runShipChecks(ctx: PipelineContext): Promise<ShipChecks> {
  const wt = ctx.store.paths.integrationWorktree;
  const commit = await headCommit(wt);
  const commands = projectCommands(ctx.config, ctx.contracts().manifest);

  const manifest = ctx.contracts().manifest;
  const run = async (template: string): Promise<CheckResult> => {
    // A per-module command (`npx eslint {module_dir}`) runs once per module, in the manifest's order.
    const perModule = /\{module(_dir)?\}/.test(template);
    const lines = perModule
      ? manifest.modules.map((m) => template.replaceAll('{module_dir}', moduleDirOf(manifest, m.name)).replaceAll('{module}', m.name))
      : [template];
    let output = '';
    for (const command of lines) {
      ctx.store.emit({ type: 'log', level: 'info', message: `ship: running ${command}` });
      const r = await runCommand(command, wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
      output += `${perModule ? `$ ${command}\n` : ''}${r.output}`;
      if (r.exitCode !== 0 || r.timedOut) return { command: template, ok: false, timedOut: r.timedOut, output: output.slice(-OUTPUT_TAIL) };
    }
    return { command: template, ok: true, timedOut: false, output: output.slice(-OUTPUT_TAIL) };
  };
  try {
    // The checks run on the worktree's files: they must be the commit's, also when the branch was moved
    // without a checkout (by hand, with update-ref or branch -f) and the old files are still there.
    await resetHard(wt, commit, { removeUntracked: false });
    const build = commands.build !== undefined ? await run(commands.build) : undefined;
    const tests = await run(integrationTestCommand(ctx));
    const lint = commands.lint !== undefined ? await run(commands.lint) : undefined;
    const checks: ShipChecks = { commit, ...(build ? { build } : {}), tests, ...(lint ? { lint } : {}) };
    // Killed by the stop, a check did not fail: nothing is recorded (the gate would show a FAIL that is
    // not one), and the resume runs the checks again.
    if (ctx.signal.aborted) throw stoppedError('ship checks', ctx.signal);
    writeFileAtomic(checksFile(ctx.store.paths.runDir), JSON.stringify(checks, null, 2) + '\n');
    return checks;
  } finally {
    // A build or lint --fix may rewrite tracked files; what ships is the commit, and the worktree must
    // stay clean for the engine's next merge into it. Untracked output (dist/, caches) may stay.
    await resetHard(wt, commit, { removeUntracked: false });
  }
}

/** The checks recorded for the release commit, or undefined (not run yet, or unreadable). */
export function readShipChecks(runDir: string): ShipChecks | undefined {
  const file = checksFile(runDir);
  if (!fs.existsSync(file)) return undefined;
  try {
    const parsed = ShipChecksSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function verdictOf(check: CheckResult | undefined): 'pass' | 'FAIL' | 'not configured' {
  return check === undefined ? 'not configured' : check.ok ? 'pass' : 'FAIL';
}
