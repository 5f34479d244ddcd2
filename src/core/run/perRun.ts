/**
 * State a part of the engine keeps for one pipeline run, keyed by the run's context object: made on
 * first use and held weakly, so it goes with the run.
 */
export function perRun<T>(make: () => T): (run: object) => T {
  const byRun = new WeakMap<object, T>();
  return (run) => {
    let state = byRun.get(run);
    if (state === undefined) byRun.set(run, (state = make()));
    return state;
  };
}
