/**
 * A module sent back to its builder: who sent it and why, and the findings to fix (a JSON list, in the
 * shape findingsForBuilder and refixModule write). Several parts of the run send modules back (QC,
 * assembly after a red merge, the harden audit, the ship gate, a re-check after a contract change);
 * the builder is told which, because what "fixed" means differs: QC's findings are about the module
 * alone, a red merge is about the module against the merged code of the others.
 */
export interface FixRequest {
  /** One or two sentences, to the builder: who sent the module back and on what grounds. */
  from: string;
  findings: string;
}

export const SENT_BY = {
  qc: 'QC sent the module back: it failed its review.',
  recheck: "QC sent the module back: it failed its re-check against the contracts as changed by a conflict's resolution.",
  assembly:
    "Assembly sent the module back: after it was merged into the integration branch the project's tests failed, and the merge was rolled back. " +
    'Your module now has to pass them against the merged code of the modules before it.',
  remerge: 'Your fixed module was merged into the integration branch again, and that merge failed (below): it was rolled back or abandoned.',
  harden: 'The audit of the assembled project (harden) sent the module back: the findings below are in your module.',
  ship: 'The person at the ship gate sent the module back with the changes below.',
} as const;
