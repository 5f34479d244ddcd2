/**
 * Every front end's gate handler (CLI prompt, VS Code notification, the engine process's relay)
 * answers "later" when the run's abort signal fires while it waits. A gate asked after the cancel
 * would wait for an event that has already happened and never comes again: the run would hang at
 * "stopping". So a question asked too late is answered "later" here, without asking anyone.
 */
export function askUnlessCancelled<Request, Answer>(ask: (request: Request, signal: AbortSignal) => Promise<Answer>, request: Request, signal: AbortSignal, later: Answer): Promise<Answer> {
  return signal.aborted ? Promise.resolve(later) : ask(request, signal);
}
