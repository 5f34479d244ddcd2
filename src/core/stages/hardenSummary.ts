/**
 * Harden's findings by severity, for the ship gate and the run report: read from the fan-out's
 * state in the run directory (audit.json), undefined when harden did not run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Severity } from '../contracts/schemas';
import { readAuditState } from '../audit/state';
import { fanoutResult } from '../audit/fanout';

export function hardenCountsIn(runDir: string): Record<Severity, number> | undefined {
  const file = path.join(runDir, 'audit.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return fanoutResult(readAuditState(file), '').counts;
  } catch {
    return undefined;
  }
}

export function hardenCounts(ctx: { store: { paths: { runDir: string } } }): Record<Severity, number> | undefined {
  return hardenCountsIn(ctx.store.paths.runDir);
}
