/**
 * Stage 5, harden (SPEC M9): the audit fan-out (src/core/audit) over the assembled integration branch
 * with the domains security, performance, edge-cases and compliance (plus any the planner adds).
 * Routing of the findings, in this order:
 * - CRITICAL: the run halts with the report;
 * - MAJOR in a file a module owns: a fix cycle for that module (its builder, in its worktree brought
 *   up to date with the integration branch, the findings as input; then QC), within the module's
 *   fix-cycle budget; then the module is merged again and the integration tests run;
 * - MINOR: the backlog (`qc/backlog.md`);
 * - findings in files no module owns: the report, for the human.
 * Progress is kept in `harden.json`, so a resumed run neither audits nor fixes anything twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { agentShellEnv } from '../agents/env';
import { abortMerge, headCommit, mergeNoFf, resetHard } from '../git';
import { runFanout, type RoutedFinding } from '../audit/fanout';
import { writeFileAtomic } from '../run/runDir';
import { runCommand } from '../shell';
import { developModule } from './build';
import { moduleDirOf } from '../stack/commands';
import { integrationTestCommand } from './moduleTestCommand';
import type { ModulesManifest } from '../contracts/schemas';
import { prepareModuleWorktree } from './moduleWorktree';
import { ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';

export const HARDEN_DOMAINS = ['security', 'performance', 'edge-cases', 'compliance'];

export const hardenStage: Stage = { id: 'harden', title: 'Harden', run: runHarden };

const HardenProgressSchema = z.object({
  commit: z.string(),
  /** Modules whose MAJOR findings have been fixed and merged again. */
  fixed: z.array(z.string()).default([]),
  fixCycles: z.number().int().nonnegative().default(0),
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
    const p: HardenProgress = { commit: c, fixed: [], fixCycles: 0, backlogWritten: false };
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
    if (!own.length || progress.fixed.includes(name)) continue;
    if (ctx.store.module(name).fixCycles >= ctx.config.fixCycles) {
      summary();
      return { status: 'halted', reason: `harden found MAJOR findings in ${name}, which has no fix cycles left (${ctx.config.fixCycles}); report: ${fanout.reportPath}` };
    }
    const fixed = await fixModule(ctx, name, own);
    if (fixed.status !== 'done') {
      summary();
      return fixed;
    }
    progress.fixed.push(name);
    progress.fixCycles++;
    saveProgress(ctx, progress);
  }
  summary();
  const c = fanout.counts;
  return {
    status: 'done',
    detail: `${c.CRITICAL} critical, ${c.MAJOR} major, ${c.MINOR} minor; ${progress.fixCycles} fix cycle(s); ${unowned.length} for the human; ${fanout.topLevelBytes} bytes reached the top level`,
  };
}

/** One harden fix cycle: bring the module up to date with integration, builder + QC, merge again with tests. */
async function fixModule(ctx: PipelineContext, name: string, findings: RoutedFinding[]): Promise<StageResult> {
  const spec = ctx.contracts().manifest.modules.find((m) => m.name === name)!;
  const integration = ctx.store.state.integrationBranch;
  ctx.store.emit({ type: 'log', level: 'warn', message: `harden: ${findings.length} MAJOR finding(s) in ${name}; sending it back to its builder` });
  const wt = await prepareModuleWorktree(ctx, spec);
  const upToDate = await mergeNoFf(wt, integration, `harden(${name}): bring in the integration branch`, ENGINE_AUTHOR);
  if (upToDate.status === 'conflict') {
    await abortMerge(wt);
    return { status: 'halted', reason: `harden: could not bring ${integration} into ${name}: conflicts in ${upToDate.files.map((f) => f.path).join(', ')}` };
  }
  // The engine's own merge is where the builder's ownership check starts: without this the builder's
  // commit would be reset to before the merge and the module would not be up to date after all.
  const upToDateHead = await headCommit(wt);
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === name)!;
    m.fixCycles++;
    m.engineHead = upToDateHead;
  });
  const input = JSON.stringify(findings.map((f) => ({ severity: f.severity, file: f.file, line: f.line, text: `${f.title} (harden, ${f.domain}): ${f.evidence}` })), null, 2);
  const status = await developModule(ctx, spec, input);
  if (status !== 'passed') return { status: 'halted', reason: `harden: ${name} was sent back with MAJOR findings and is now ${status}` };

  const iwt = ctx.store.paths.integrationWorktree;
  const before = await headCommit(iwt);
  const merged = await mergeNoFf(iwt, ctx.store.module(name).branch, `harden: merge ${name} again after its fix cycle`, ENGINE_AUTHOR);
  if (merged.status === 'conflict') {
    await abortMerge(iwt);
    return { status: 'halted', reason: `harden: merging ${name} again conflicts in ${merged.files.map((f) => f.path).join(', ')}` };
  }
  const tests = await runCommand(integrationTestCommand(ctx), iwt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
  if (tests.exitCode !== 0) {
    await resetHard(iwt, before);
    return { status: 'halted', reason: `harden: the integration tests fail after merging ${name} again; the merge was rolled back` };
  }
  const commit = await headCommit(iwt);
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === name)!;
    m.status = 'merged';
    m.mergeCommit = commit;
    s.merges.push({ module: name, branch: m.branch, commit, merge: 'clean', tests: 'pass', status: 'MERGED' });
  });
  ctx.store.emit({ type: 'merge', module: name, result: 'clean', tests: 'pass' });
  ctx.store.emit({ type: 'module-status', module: name, status: 'merged', detail: 'merged again after a harden fix cycle' });
  return { status: 'done' };
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
    ...(unowned.length ? unowned.map((f) => `- ${f.severity} ${f.file || '(repository)'}${f.line ? `:${f.line}` : ''} — ${f.title.replace(/\s+/g, ' ')} (${f.worker})`) : ['None.']),
    '',
    '<!-- DONE -->',
    '',
  ];
  writeFileAtomic(path.join(ctx.store.paths.runDir, 'harden.md'), lines.join('\n'));
}
