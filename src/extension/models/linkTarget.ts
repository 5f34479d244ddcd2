/**
 * Where a file link in a QC report or ADR may lead: an existing file inside one of the run's roots
 * (the module worktree, the integration worktree, the repository). The link text is model-written,
 * so `..` segments, absolute paths and symlinks that point outside the roots are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function resolveInside(link: string, roots: readonly string[]): string | undefined {
  for (const root of roots) {
    const base = path.resolve(root);
    const candidate = path.resolve(base, link.replace(/^\/+/, ''));
    if (candidate !== base && !candidate.startsWith(base + path.sep)) continue;
    try {
      const real = fs.realpathSync(candidate);
      const realBase = fs.realpathSync(base);
      if ((real === realBase || real.startsWith(realBase + path.sep)) && fs.statSync(real).isFile()) return real;
    } catch {
      // not in this root
    }
  }
  return undefined;
}
