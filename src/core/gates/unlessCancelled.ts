/**
 * The VS Code front ends' gate handlers (the notification and tree row, the plan gate, the engine
 * process's relay) answer "later" when the run's abort signal fires while they wait. Asked after the
 * cancel, they waited for an event that had already happened and never comes again: the run hung at
 * "stopping". (The CLI's prompt rejects instead, and `--yes` approved at once, after the stop.) So a
 * question asked too late is answered "later" here, without asking anyone.
 */
export function askUnlessCancelled<Request, Answer>(ask: (request: Request, signal: AbortSignal) => Promise<Answer>, request: Request, signal: AbortSignal, later: Answer): Promise<Answer> {
  return signal.aborted ? Promise.resolve(later) : ask(request, signal);
}
