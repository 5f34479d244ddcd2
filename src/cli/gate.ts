/** Gates on the command line: --yes approves; a TTY gets a prompt; otherwise the run waits (exit 3). */
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
      for (;;) {
        const a = (await rl.question('[a]pprove, request [c]hanges, [r]eject, decide [l]ater? ', { signal })).trim().toLowerCase();
        const answer = toAnswer(a);
        if (answer === 'changes') {
          const feedback = (await rl.question('What should change? ', { signal })).trim();
          if (feedback) return { decision: 'changes', feedback };
          continue;
        }
        if (answer) return answer;
      }
    } finally {
      rl.close();
    }
  };
}

function toAnswer(a: string): GateAnswer | 'changes' | undefined {
  if (a === 'a' || a === 'approve') return { decision: 'approve' };
  if (a === 'c' || a === 'changes') return 'changes';
  if (a === 'r' || a === 'reject') return { decision: 'reject' };
  if (a === 'l' || a === 'later') return { decision: 'later' };
  return undefined;
}
