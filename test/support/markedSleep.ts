/**
 * A `sleep` a test can find again among the machine's processes: its duration has a fraction no other
 * process has (`sleep 300.<pid><ms>`), so /proc names exactly the ones a test started, wherever in a
 * process tree (or an orphaned one) they ended up. Linux only (/proc).
 */
import * as fs from 'node:fs';

export interface MarkedSleep {
  /** The command line, for a shell, a test file or a git filter to run. */
  command: string;
  /** The pids of the processes running it now. */
  pids(): number[];
}

export function markedSleep(): MarkedSleep {
  const command = `sleep 300.${process.pid}${Date.now() % 1000}`;
  return {
    command,
    pids: () =>
      fs.readdirSync('/proc').flatMap((pid) => {
        try {
          return /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() === command ? [Number(pid)] : [];
        } catch {
          return []; // ended meanwhile
        }
      }),
  };
}
