/**
 * Stage 5, harden (SPEC M9): the audit fan-out (src/core/audit) over the assembled integration branch
 * with the domains security, performance, edge-cases and compliance (plus any the planner adds).
 * Routing of the findings, in this order:
 * - CRITICAL: the run halts with the report;
 * - MAJOR in a file a module owns: a fix cycle for that module (its builder, in its worktree brought
 *   up to date with the integration branch, the findings as input; then QC), within the module's
 *   fix-cycle budget; then the module is merged again and the integration tests run; a re-merge
 *   that conflicts or turns the tests red starts another cycle (stages/refixModule.ts); a module
 *   that runs out of cycles is reported in harden.md and at the ship gate, and harden goes on;
 * - MINOR: the backlog (`qc/backlog.md`);
 * - findings in files no module owns: the report, for the human.
 * Progress is kept in `harden.json`, so a resumed run neither audits nor fixes anything twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { headCommit } from '../git';
import { runFanout, type RoutedFinding } from '../audit/fanout';
import { writeFileAtomic } from '../run/runDir';
import { moduleDirOf } from '../stack/commands';
import type { ModulesManifest } from '../contracts/schemas';
import { refixModule, type RefixFinding } from './refixModule';
import type { PipelineContext, Stage, StageResult } from './context';

export const HARDEN_DOMAINS = ['security', 'performance', 'edge-cases', 'compliance'];

export const hardenStage: Stage = { id: 'harden', title: 'Harden', run: runHarden };

const HardenProgressSchema = z.object({
  commit: z.string(),
  /** Modules whose MAJOR findings have been fixed and merged again. */
  fixed: z.array(z.string()).default([]),
  fixCycles: z.number().int().nonnegative().default(0),
  /** Modules whose MAJOR findings could not be fixed (out of fix cycles, …): reported, not retried. */
  open: z.array(z.object({ module: z.string(), reason: z.string(), findings: z.array(z.string()) })).default([]),
  backlogWritten: z.boolean().default(false),
});
type HardenProgress = z.infer<typeof HardenProgressSchema>;

function progressFile(ctx: PipelineContext): string {
  return path.join(ctx.store.paths.runDir, 'harden.json');
}

function loadProgress(ctx: PipelineContext, commit: () => Promise<string>): Promise<HardenProgress> {
  const file = progressFile(ctx);
  if (fs.existsSync(file)) return Promise.resolve(HardenProgressSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))));
  return commit().then((c) => {
    const p: HardenProgress = { commit: c, fixed: [], fixCycles: 0, open: [], backlogWritten: false };
    saveProgress(ctx, p);
    return p;
  });
}

function saveProgress(ctx: PipelineContext, p: HardenProgress): void {
  writeFileAtomic(progressFile(ctx), JSON.stringify(p, null, 2) + '\n');
}

/** The module whose folder (its `path` in modules.json) holds `file`, if any. */
export function owningModule(file: string, manifest: ModulesManifest): string | undefined {
  return manifest.modules
    .map((m) => m.name)
    .find((m) => {
      const dir = moduleDirOf(manifest, m);
      return file === dir || file.startsWith(`${dir}/`);
    });
}

async function runHarden(ctx: PipelineContext): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const progress = await loadProgress(ctx, () => headCommit(wt));
  const manifest = ctx.contracts().manifest;
  const fanout = await runFanout(ctx, {
    root: ctx.store.paths.runDir,
    request: `Harden the assembled project ${manifest.project} before it ships: ${ctx.store.state.description}`,
    commit: progress.commit,
    requiredDomains: HARDEN_DOMAINS,
    stage: 'harden',
  });
  const modules = manifest.modules.map((m) => m.name);
  const critical = fanout.findings.filter((f) => f.severity === 'CRITICAL');
  const majors = fanout.findings.filter((f) => f.severity === 'MAJOR');
  const unowned = fanout.findings.filter((f) => f.severity !== 'MINOR' && !owningModule(f.file, manifest));
  const summary = () => writeHardenSummary(ctx, fanout.findings, fanout.topLevelBytes, fanout.reportPath, progress, unowned);

  if (critical.length) {
    summary();
    return { status: 'halted', reason: `harden found ${critical.length} CRITICAL finding(s): ${critical.map((f) => `${f.file || '(repository)'}${f.line ? `:${f.line}` : ''} ${f.title}`).join('; ')} (report: ${fanout.reportPath})` };
  }

  if (!progress.backlogWritten) {
    const minors = fanout.findings.filter((f) => f.severity === 'MINOR');
    if (minors.length) {
      fs.mkdirSync(ctx.store.paths.qc, { recursive: true });
      fs.appendFileSync(path.join(ctx.store.paths.qc, 'backlog.md'), minors.map((f) => `- [harden/${f.domain}] ${f.file}${f.line ? `:${f.line}` : ''} ${f.title}: ${f.evidence.replace(/\s+/g, ' ').slice(0, 300)}`).join('\n') + '\n');
    }
    progress.backlogWritten = true;
    saveProgress(ctx, progress);
  }

  for (const name of modules) {
    const own = majors.filter((f) => owningModule(f.file, manifest) === name);
    if (!own.length || progress.fixed.includes(name) || progress.open.some((o) => o.module === name)) continue;
    ctx.store.emit({ type: 'log', level: 'warn', message: `harden: ${own.length} MAJOR finding(s) in ${name}` });
    const outcome = await refixModule(ctx, name, own.map(asRefixFinding), 'harden');
    progress.fixCycles += outcome.cycles;
    if (outcome.status === 'stopped') {
      saveProgress(ctx, progress);
      summary();
      return { status: 'halted', reason: `harden stopped while fixing ${name}: ${outcome.reason}` };
    }
    // A module that cannot be fixed does not stop harden: its findings stay open for the human, the
    // ship gate says so, and the other modules still get their fix cycles.
    if (outcome.status === 'open') progress.open.push({ module: name, reason: outcome.reason, findings: own.map(findingLine) });
    else progress.fixed.push(name);
    saveProgress(ctx, progress);
  }
  summary();
  const c = fanout.counts;
  const open = progress.open.length ? `; MAJOR findings left open in ${progress.open.map((o) => o.module).join(', ')}` : '';
  return {
    status: 'done',
    detail: `${c.CRITICAL} critical, ${c.MAJOR} major, ${c.MINOR} minor; ${progress.fixCycles} fix cycle(s); ${unowned.length} for the human${open}; ${fanout.topLevelBytes} bytes reached the top level`,
  };
}

function asRefixFinding(f: RoutedFinding): RefixFinding {
  return { severity: f.severity, file: f.file, line: f.line, text: `${f.title} (harden, ${f.domain}): ${f.evidence}` };
}

function findingLine(f: RoutedFinding): string {
  return `${f.severity} ${f.file || '(repository)'}${f.line ? `:${f.line}` : ''} — ${f.title.replace(/\s+/g, ' ')} (${f.worker})`;
}

function writeHardenSummary(ctx: PipelineContext, findings: RoutedFinding[], bytes: number, reportPath: string, progress: HardenProgress, unowned: RoutedFinding[]): void {
  const domains = [...new Set(findings.map((f) => f.domain))];
  const lines = [
    '# Harden summary',
    '',
    `Audited commit \`${progress.commit.slice(0, 12)}\` of the integration branch; full report: ${reportPath}`,
    '',
    '| domain | CRITICAL | MAJOR | MINOR |',
    '|---|---|---|---|',
    ...domains.map((d) => {
      const n = (s: string) => findings.filter((f) => f.domain === d && f.severity === s).length;
      return `| ${d} | ${n('CRITICAL')} | ${n('MAJOR')} | ${n('MINOR')} |`;
    }),
    '',
    `Fix cycles caused by harden: ${progress.fixCycles} (${progress.fixed.join(', ') || 'none'}). MINOR findings went to the backlog.`,
    `Bytes the top level received from the fan-out: ${bytes}.`,
    '',
    '## For the human: findings in files no module owns',
    '',
    ...(unowned.length ? unowned.map((f) => `- ${findingLine(f)}`) : ['None.']),
    '',
    '## For the human: MAJOR findings left open (the module could not be fixed)',
    '',
    ...(progress.open.length ? progress.open.flatMap((o) => [`- ${o.module}: ${o.reason}`, ...o.findings.map((f) => `  - ${f}`)]) : ['None.']),
    '',
    '<!-- DONE -->',
    '',
  ];
  writeFileAtomic(path.join(ctx.store.paths.runDir, 'harden.md'), lines.join('\n'));
}
