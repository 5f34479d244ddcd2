/**
 * Harden's findings by severity, for the ship gate and the run report: read from the fan-out's
 * state in the run directory (audit.json), undefined when harden did not run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
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

const HardenOpenSchema = z.object({ open: z.array(z.object({ module: z.string(), reason: z.string() })).default([]) });

/** Modules whose harden MAJOR findings were left open (no fix cycles left, …), from harden.json. */
export function hardenOpenIn(runDir: string): { module: string; reason: string }[] {
  const file = path.join(runDir, 'harden.json');
  if (!fs.existsSync(file)) return [];
  try {
    const parsed = HardenOpenSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data.open : [];
  } catch {
    return [];
  }
}

