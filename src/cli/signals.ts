/**
 * Ctrl-C and a SIGTERM (a service manager, `kill`, a CI timeout) stop a run the same way: every agent
 * and command stopped, the run recorded as cancelled and resumable. (A SIGTERM used to kill the process
 * outright, leaving commands running, or, with the sandbox runtime's own handler, to be swallowed while
 * the run went on.) A second one ends the process at once, and first kills every command and sandboxed
 * shell still running: they run in process groups of their own, which neither the terminal's Ctrl-C
 * nor the process's end reaches. Returns the function that stops listening.
 */
import { killProcessGroups } from '../core/processGroups';

/** The exit code of a process ended by SIGINT, as shells report it. */
const ENDED_BY_SIGNAL = 130;

export function cancelOnSignals(cancel: (reason: string) => void): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++received === 1) {
      console.log(`\nCancelling (${signal}): stopping every agent in flight…`);
      cancel(`cancelled by the user (${signal})`);
      return;
    }
    const killed = killProcessGroups();
    console.log(`\n${signal} again: ending now${killed ? `, after killing what still ran (${killed} process group${killed === 1 ? '' : 's'} of commands and shells)` : ''}. The run can be resumed.`);
    process.exit(ENDED_BY_SIGNAL);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}
