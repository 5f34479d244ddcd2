/**
 * Ctrl-C and a SIGTERM (a service manager, `kill`, a CI timeout) stop a run the same way: every agent
 * and command stopped, the run recorded as cancelled and resumable. (A SIGTERM used to kill the process
 * outright, leaving commands running, or, with the sandbox runtime's own handler, to be swallowed while
 * the run went on.) Returns the function that stops listening.
 */
export function cancelOnSignals(cancel: (reason: string) => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.log(`\nCancelling (${signal}): stopping every agent in flight…`);
    cancel(`cancelled by the user (${signal})`);
  };
  // A second Ctrl-C finds no listener and ends the process at once.
  process.once('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}
