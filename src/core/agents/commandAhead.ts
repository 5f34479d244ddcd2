/**
 * A command started in an agent's shell before the agent asks for it: QC's test command. QC's first
 * model calls read the contract and the code; the tests then run while the model reads instead of
 * after it, and a suite that takes as long as a model call costs the module no time at all.
 *
 * The shell is the agent's own persistent one, so when the agent's first command is exactly that
 * command, what it gets (output, exit status, and the shell's state afterwards: its cwd, its
 * variables) is what running it then would have given; only the start was earlier. Any other first
 * command stops the early run and goes to a fresh shell, so the agent never meets the effects of a
 * command it did not run. Nothing changes between the early start and the agent's call: QC is
 * read-only and the engine does not touch a module's worktree while its QC runs. One difference is
 * kept on purpose: the early run has the shell's full time limit, so a shorter `timeout_ms` the agent
 * asks for does not cut it short.
 */
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { isWarmable, type WarmableTool } from './warmTools';

type Output = Awaited<ReturnType<BetaRunnableTool['run']>>;
type Settled = { ok: true; value: Output } | { ok: false; error: unknown };

interface BashInput {
  command?: unknown;
  restart?: unknown;
  timeout_ms?: unknown;
}

export function withCommandAhead(bash: BetaRunnableTool, command: string, timeoutMs: number): BetaRunnableTool & WarmableTool {
  const wanted = command.trim();
  const stop = new AbortController();
  let ahead: Promise<Settled> | undefined;
  // The agent's first command decides; after it, the tool is the plain shell. Commands that come
  // while the first is still deciding (parallel calls of one turn) wait for it, so they run after it
  // as the shell's own queue would have run them, not in a shell its restart then throws away.
  let first: Promise<unknown> | undefined;

  const startAhead = () => {
    if (ahead || first || stop.signal.aborted) return;
    ahead = Promise.resolve()
      .then(() => bash.run({ command, timeout_ms: timeoutMs } as never, { signal: stop.signal } as never))
      .then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      );
  };

  const firstCall = async (input: BashInput, context: Parameters<BetaRunnableTool['run']>[1]): Promise<Output> => {
    const early = ahead;
    const same = typeof input?.command === 'string' && input.command.trim() === wanted && input.restart !== true;
    if (early && same) {
      const settled = await settledUnlessStopped(early, context?.signal, (reason) => stop.abort(reason));
      if (settled.ok) return settled.value;
      throw settled.error;
    }
    if (!early) return bash.run(input as never, context);
    // Another command first: the early run stops (if it still runs) and the agent's command gets a
    // fresh shell, untouched by a command the agent never ran.
    stop.abort();
    await early;
    return bash.run({ ...input, restart: true } as never, context);
  };

  return {
    ...bash,
    warm: () => {
      if (isWarmable(bash)) bash.warm();
      startAhead();
    },
    run: (input, context) => {
      if (first) return first.then(() => bash.run(input, context));
      const call = firstCall(input as BashInput, context);
      first = call.catch(() => undefined);
      return call;
    },
    close: async () => {
      stop.abort();
      await ahead;
      await bash.close?.();
    },
  };
}

/**
 * The early run's outcome; the agent's stop stops the run too (both shells end a command at once on
 * their signal), so the agent's call ends as a stopped command of its own would.
 */
async function settledUnlessStopped(early: Promise<Settled>, signal: AbortSignal | null | undefined, stopEarly: (reason: unknown) => void): Promise<Settled> {
  if (!signal) return early;
  const onAbort = () => stopEarly(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    return await early;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
