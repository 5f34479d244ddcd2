/**
 * A question on the terminal while a run is going (a gate). The prompt puts the terminal in raw mode,
 * so Ctrl-C reaches readline as a key, not the process as a signal: left to readline it aborted the
 * question and the run ended halted. Passed on as the process's SIGINT, it cancels the run as Ctrl-C
 * does anywhere else (the run's signal then ends the question).
 */
import * as readline from 'node:readline/promises';

export function runPrompt(): readline.Interface {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  rl.on('SIGINT', () => process.emit('SIGINT', 'SIGINT'));
  return rl;
}
