/**
 * What the run report (SPEC X7) says about the audit fan-out of a run, a standalone audit or Stage 5:
 * findings by domain and severity (finished workers only), workers finished, missing and unfinished,
 * the bytes the top level received, and the fix cycles harden caused. Read from audit.json and
 * harden.json in the run directory; undefined when no fan-out ran.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Severity } from '../contracts/schemas';
import { readAuditState } from './state';

export interface AuditFigures {
  findings: Record<string, Record<Severity, number>>;
  workers: { done: number; missing: number; unfinished: number };
  topLevelBytes: number;
  hardenFixCycles: number;
  /** Modules whose harden MAJOR findings were left open (out of fix cycles, …), with the reason. */
  hardenOpen: { module: string; reason: string }[];
}

const HardenJsonSchema = z.object({
  fixCycles: z.number().int().nonnegative().default(0),
  open: z.array(z.object({ module: z.string(), reason: z.string() })).default([]),
});

export function auditFigures(runDir: string): AuditFigures | undefined {
  const file = path.join(runDir, 'audit.json');
  if (!fs.existsSync(file)) return undefined;
  let state;
  try {
    state = readAuditState(file);
  } catch {
    return undefined;
  }
  const findings: Record<string, Record<Severity, number>> = {};
  for (const d of state.plan?.domains ?? []) findings[d.name] = { CRITICAL: 0, MAJOR: 0, MINOR: 0 };
  for (const w of state.workers.filter((x) => x.status === 'done')) {
    for (const f of w.findings) (findings[w.domain] ??= { CRITICAL: 0, MAJOR: 0, MINOR: 0 })[f.severity]++;
  }
  let harden: z.infer<typeof HardenJsonSchema> = { fixCycles: 0, open: [] };
  try {
    harden = HardenJsonSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir, 'harden.json'), 'utf8')));
  } catch {
    // no harden in this run (or an unreadable file: the report then shows none)
  }
  const count = (s: string) => state.workers.filter((w) => w.status === s).length;
  return { findings, workers: { done: count('done'), missing: count('missing'), unfinished: count('unfinished') }, topLevelBytes: state.topLevelBytes, hardenFixCycles: harden.fixCycles, hardenOpen: harden.open };
}

export function auditReportLines(a: AuditFigures): string[] {
  return [
    '',
    '## Audit fan-out (harden or audit mode)',
    '',
    `Workers: ${a.workers.done} finished, ${a.workers.missing} missing, ${a.workers.unfinished} unfinished. ` +
      `The top level received ${a.topLevelBytes} bytes. Fix cycles caused by harden: ${a.hardenFixCycles}.`,
    '',
    '| domain | CRITICAL | MAJOR | MINOR |',
    '|---|---|---|---|',
    ...Object.entries(a.findings).map(([d, c]) => `| ${d} | ${c.CRITICAL} | ${c.MAJOR} | ${c.MINOR} |`),
    ...(a.hardenOpen.length ? ['', 'MAJOR findings harden left open (see harden.md):', ...a.hardenOpen.map((o) => `- ${o.module}: ${o.reason}`)] : []),
  ];
}
