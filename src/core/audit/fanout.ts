/**
 * The audit fan-out (SPEC M15): plan → workers in waves → one coordinator per domain → report.
 * Every step is recorded in `audit.json` before the next starts; on resume a finished worker or
 * coordinator is never run again, and a domain whose coordinator is done keeps its workers as they were.
 */
import * as fs from 'node:fs';
import type { Severity } from '../contracts/schemas';
import { removeThrowawayTree } from '../git';
import { planAudit } from './planner';
import { runWorker } from './worker';
import { runCoordinator } from './coordinator';
import { writeAuditReport } from './report';
import type { AuditHost } from './host';
import { auditDirs, AuditStore } from './state';
import type { AuditFinding, AuditState } from './schemas';
import * as path from 'node:path';

export interface FanoutInput {
  /** Folder of the fan-out's files (the run directory). */
  root: string;
  request: string;
  commit: string;
  requiredDomains?: string[];
  /** Stage the tokens are booked to. */
  stage: string;
}

export interface RoutedFinding extends AuditFinding {
  domain: string;
  worker: string;
}

export interface FanoutResult {
  state: AuditState;
  findings: RoutedFinding[];
  counts: Record<Severity, number>;
  topLevelBytes: number;
  reportPath: string;
}

export function openAudit(input: FanoutInput): AuditStore {
  return AuditStore.open(auditDirs(input.root), () => ({
    version: 1,
    request: input.request,
    commit: input.commit,
    requiredDomains: input.requiredDomains ?? [],
    workers: [],
    coordinators: [],
    topLevelBytes: 0,
  }));
}

export async function planPhase(host: AuditHost, input: FanoutInput): Promise<string> {
  const audit = openAudit(input);
  await removeStaleTrees(host, audit);
  const plan = await planAudit(host, audit, input.stage);
  return `${plan.domains.length} domains, ${audit.state.workers.length} workers`;
}

/** Workers in waves of the worker tier's wave limit; a wave starts when the previous one has settled. */
export async function workersPhase(host: AuditHost, input: FanoutInput): Promise<string> {
  const audit = openAudit(input);
  await removeStaleTrees(host, audit);
  const doneDomains = new Set(audit.state.coordinators.filter((c) => c.status === 'done').map((c) => c.domain));
  const todo = audit.state.workers.filter((w) => w.status !== 'done' && !doneDomains.has(w.domain));
  const wave = host.config.waveLimits[host.config.roleTiers.auditWorker];
  for (let i = 0; i < todo.length && !host.signal.aborted; i += wave) {
    await settleAll(todo.slice(i, i + wave).map((w) => runWorker(host, audit, w, input.stage)));
  }
  if (host.signal.aborted) throw new Error(String(host.signal.reason ?? 'cancelled'));
  const by = (s: string) => audit.state.workers.filter((w) => w.status === s).length;
  return `${by('done')} done, ${by('missing')} missing, ${by('unfinished')} unfinished`;
}

export async function synthesisPhase(host: AuditHost, input: FanoutInput): Promise<string> {
  const audit = openAudit(input);
  const todo = audit.state.coordinators.filter((c) => c.status !== 'done');
  await settleAll(todo.map((c) => runCoordinator(host, audit, c.domain, input.stage)));
  if (host.signal.aborted) throw new Error(String(host.signal.reason ?? 'cancelled'));
  // The top level sees the coordinators' summaries and nothing else of the fan-out.
  const bytes = audit.state.coordinators.reduce((n, c) => n + Buffer.byteLength(c.summary ?? '', 'utf8'), 0);
  audit.update((s) => (s.topLevelBytes = bytes));
  const failed = audit.state.coordinators.filter((c) => c.status !== 'done').map((c) => c.domain);
  return `${audit.state.coordinators.length - failed.length} syntheses${failed.length ? `, failed: ${failed.join(', ')}` : ''}; ${bytes} bytes reached the top level`;
}

export function reportPhase(input: FanoutInput, repoRoot: string): FanoutResult {
  const audit = openAudit(input);
  const reportPath = writeAuditReport(audit, repoRoot);
  audit.update((s) => (s.reportPath = reportPath));
  return fanoutResult(audit.state, reportPath);
}

export function fanoutResult(state: AuditState, reportPath: string): FanoutResult {
  const findings = state.workers.filter((w) => w.status === 'done').flatMap((w) => w.findings.map((f) => ({ ...f, domain: w.domain, worker: w.id })));
  const counts: Record<Severity, number> = { CRITICAL: 0, MAJOR: 0, MINOR: 0 };
  for (const f of findings) counts[f.severity]++;
  return { state, findings, counts, topLevelBytes: state.topLevelBytes, reportPath };
}

/** The whole fan-out in one call (Stage 5 runs it this way). */
export async function runFanout(host: AuditHost, input: FanoutInput): Promise<FanoutResult> {
  await planPhase(host, input);
  await workersPhase(host, input);
  await synthesisPhase(host, input);
  return reportPhase(input, host.repoRoot);
}

/** Like Promise.all, but waits for every agent to stop (and clean up its tree) before rethrowing. */
async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Trees a killed run left behind: registered or not, they go before anything new starts. */
async function removeStaleTrees(host: AuditHost, audit: AuditStore): Promise<void> {
  if (!fs.existsSync(audit.dirs.trees)) return;
  for (const name of fs.readdirSync(audit.dirs.trees)) {
    const p = path.join(audit.dirs.trees, name);
    await removeThrowawayTree(host.repoRoot, p).catch(() => undefined);
    fs.rmSync(p, { recursive: true, force: true });
  }
}
