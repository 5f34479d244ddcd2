/**
 * Test gates (T4): the project's suite before a phase (must be green, or a fix task runs first),
 * after it, and after its merge. Failures are counted from the runner's summary so the report can
 * say how many were carried from one phase into the next (the target is zero).
 */
import { runCommand } from '../shell';
import { agentShellEnv } from '../agents/env';
import type { RunSandbox } from '../sandbox/runSandbox';

export interface TestGateResult {
  passed: boolean;
  failures: number;
  /** The tail of the output: what a fix task needs to see. */
  excerpt: string;
  /**
   * The run was stopped while (or before) the suite ran: the command was killed or never started, so
   * the result says nothing about the code. Callers record nothing and make no fix task of it.
   */
  stopped: boolean;
}

/**
 * Failing-test count from node:test, TAP, mocha, jest/vitest or pytest summaries; 1 when red but
 * uncounted. A suite that exits 0 is green unless its TAP or node:test summary line says otherwise:
 * the other patterns also match test titles a runner prints ("locks after 3 failed logins").
 */
export function countFailures(output: string, exitCode: number | null): number {
  const summary = /^[#ℹ]\s*fail\s+(\d+)/m;
  const patterns = exitCode === 0 ? [summary] : [summary, /^\s*(\d+)\s+failing\b/m, /Tests:\s+(\d+)\s+failed/, /(\d+)\s+failed\b/, /FAILED \(failures=(\d+)/];
  for (const re of patterns) {
    const m = re.exec(output);
    if (m) {
      const n = Number(m[1]);
      if (n > 0 || exitCode === 0) return n;
    }
  }
  return exitCode === 0 ? 0 : 1;
}

/** The command is the project's (model-chosen), so it runs in the session's sandbox like the teammates' shells. */
export async function runTestGate(command: string, cwd: string, timeoutMs: number, signal?: AbortSignal, sandbox?: RunSandbox): Promise<TestGateResult> {
  const r = await runCommand(command, cwd, agentShellEnv('test-gate'), timeoutMs, signal, sandbox);
  const failures = r.timedOut ? Math.max(1, countFailures(r.output, 1)) : countFailures(r.output, r.exitCode);
  const passed = r.exitCode === 0 && !r.timedOut && failures === 0;
  const tail = r.output.trim().split('\n').slice(-40).join('\n');
  return { passed, failures: passed ? 0 : Math.max(1, failures), excerpt: (r.timedOut ? `(timed out after ${timeoutMs} ms)\n` : '') + tail.slice(-3000), stopped: !!signal?.aborted };
}
