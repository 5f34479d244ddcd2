/**
 * `start` with a request whose words do not decide the mode (core/mode.ts): ask on a terminal;
 * without one, refuse with exit 2 and name both commands, rather than guess.
 */
import * as readline from 'node:readline/promises';
import { askRefusal, detectMode } from '../core/mode';
import { UsageError } from './args';

export async function modeForStart(request: string): Promise<'build' | 'audit'> {
  const detected = detectMode(request);
  if (detected !== 'ask') return detected;
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError(askRefusal(request));
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      const a = (await rl.question('Build something new, or audit what is there? [b]uild / [a]udit: ')).trim().toLowerCase();
      if (a === 'b' || a === 'build') return 'build';
      if (a === 'a' || a === 'audit') return 'audit';
    }
  } finally {
    rl.close();
  }
}
