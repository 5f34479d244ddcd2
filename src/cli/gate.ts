/** Gates on the command line: --yes approves; a TTY gets a prompt; otherwise the run waits (exit 3). */
import type { Interface } from 'node:readline/promises';
import { runPrompt } from './runPrompt';
import { forTerminal } from './terminalText';
import type { GateAnswer, GateHandler, GateRequest } from '../core/api';

/** The gate's command lines, verbatim, one per line (empty when the gate approves no commands). */
export function commandLines(req: GateRequest): string {
  if (!req.commands?.length) return '';
  return `\n  commands the engine will run:\n${req.commands.map((c) => `    ${c.label}:\n      ${c.command}`).join('\n')}`;
}

export function cliGate(yes: boolean): GateHandler {
  return async (req, signal) => {
    // The decision is rendered as the gate's one line (render.ts); what --yes approves besides the
    // design, the exact command lines, is printed here so the log records them.
    if (yes) {
      const commands = commandLines(req);
      if (commands) console.log(forTerminal(commands.replace(/^\n/, '')));
      return { decision: 'approve' };
    }
    if (!process.stdin.isTTY || !process.stdout.isTTY) return { decision: 'later' };
    const rl = runPrompt();
    try {
      console.log(forTerminal(`\n⏸ ${req.title}\n${req.summary}${req.openPath ? `\n(see ${req.openPath})` : ''}`));
      return await askDecision(rl, '[a]pprove, request [c]hanges, [r]eject, decide [l]ater? ', ['approve', 'changes', 'reject', 'later'], signal);
    } finally {
      rl.close();
    }
  };
}

type Decision = 'approve' | 'changes' | 'reject' | 'later';

/**
 * Asks until the answer is one of `choices` (its first letter or the whole word), and for changes
 * until they are said: an empty line or a typo asks again, never decides (Enter used to mean "later"
 * at the plan gates, which stopped the run with exit 3).
 */
export async function askDecision(rl: Interface, question: string, choices: readonly Decision[], signal: AbortSignal): Promise<GateAnswer> {
  for (;;) {
    const a = (await rl.question(question, { signal })).trim().toLowerCase();
    const choice = choices.find((c) => a === c || a === c[0]);
    if (choice === 'changes') {
      const feedback = (await rl.question('What should change? ', { signal })).trim();
      if (feedback) return { decision: 'changes', feedback };
    } else if (choice) {
      return { decision: choice };
    }
  }
}
