/**
 * Mode detection (M1): requests to audit, review, scan, analyze or check go to audit mode; requests
 * to build, create, implement or add a feature go to the build pipeline; anything else is unclear and
 * the front end asks.
 */
export type Mode = 'build' | 'audit' | 'unclear';

const AUDIT = /\b(audit|review|scan|analy[sz]e|check)(s|ing|ed)?\b/i;
const BUILD = /\b(build|create|implement|develop|scaffold|make|write|add(ing)? (a |an |the )?(new )?feature|new (app|project|tool|service)|greenfield)(s|ing|ed)?\b/i;

export function detectMode(description: string): Mode {
  const audit = AUDIT.test(description);
  const build = BUILD.test(description);
  if (build && !audit) return 'build';
  if (audit && !build) return 'audit';
  if (audit && build) {
    // "Build a tool that scans logs" is a build; "Audit what we built" is an audit: the first verb decides.
    const a = description.search(AUDIT);
    const b = description.search(BUILD);
    return b < a ? 'build' : 'audit';
  }
  return 'unclear';
}
