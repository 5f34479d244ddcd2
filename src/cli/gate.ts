/** Gates on the command line: --yes approves; a TTY gets a prompt; otherwise the run waits (exit 3). */
import * as readline from 'node:readline/promises';
import type { GateAnswer, GateHandler } from '../core/api';

export function cliGate(yes: boolean): GateHandler {
  return async (req, signal) => {
    // The decision is rendered as the gate's one line (render.ts), so --yes prints nothing here.
    if (yes) return { decision: 'approve' };
    if (!process.stdin.isTTY || !process.stdout.isTTY) return { decision: 'later' };
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
      console.log(`\n⏸ ${req.title}\n${req.summary}${req.openPath ? `\n(see ${req.openPath})` : ''}`);
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
