/**
 * Stage 4, assemble (M8): the engine merges each QC-passed module branch into the integration
 * branch, one at a time, `--no-ff`, in `assembly_order`, running the integration tests after every
 * merge. Trivial conflicts (whitespace, import order) are resolved and recorded; any other conflict
 * is written to the run's conflicts/ folder and the merge is aborted; red tests roll the integration
 * branch back to before that merge and stop. Module code is never edited to make tests pass.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { abortMerge, commitMerge, headCommit, mergeNoFf, resetHard, resolveTrivialConflicts, type ConflictFile } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { runCommand } from '../shell';
import { ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';
import { developModule } from './build';

export const assembleStage: Stage = { id: 'assemble', title: 'Assemble', run: runAssemble };

async function runAssemble(ctx: PipelineContext): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const order = ctx.contracts().manifest.assembly_order;
  for (const name of order) {
    if (ctx.signal.aborted) return { status: 'halted', reason: String(ctx.signal.reason ?? 'run stopped') };
    const mod = ctx.store.module(name);
    if (mod.status === 'merged') continue;
    if (mod.status !== 'passed') return halt(ctx, `module ${name} is ${mod.status}, not passed; assembly stops before it`);

    // A merge whose tests go red is rolled back and the module goes back to its builder with the
    // failure (while it has fix cycles left); after it passes QC again the merge is retried.
    for (;;) {
      const before = await headCommit(wt);
      const message = `integrate: merge ${name} module`;
      const merged = await mergeNoFf(wt, mod.branch, message, ENGINE_AUTHOR);
      let mergeKind: 'clean' | 'auto-resolved' = 'clean';
      if (merged.status === 'conflict') {
        const resolution = await resolveTrivialConflicts(wt, merged.files);
        if (resolution.status === 'nonTrivial') {
          const unresolved = resolution.files.map((f) => `${f.path} (${f.hunks.map((h) => h.reason).join('; ')})`);
          const report = writeConflictReport(ctx, name, mod.branch, merged.files, unresolved);
          await abortMerge(wt);
          recordMerge(ctx, name, 'conflict', 'not-run', 'FAILED');
          return halt(ctx, `merge conflict in ${name} (${resolution.files.map((f) => f.path).join(', ')}); details in ${report}`);
        }
        await commitMerge(wt, ENGINE_AUTHOR);
        const resolved = resolution.files.map((f) => `${f.path}: ${f.hunks.map((h) => `line ${h.startLine} ${h.rule}`).join(', ')}`);
        writeConflictReport(ctx, name, mod.branch, merged.files, [], resolved);
        mergeKind = 'auto-resolved';
      }

      const tests = await runCommand(ctx.config.integrationTestCommand, wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
      if (tests.exitCode === 0) {
        recordMerge(ctx, name, mergeKind, 'pass', 'MERGED', await headCommit(wt));
        break;
      }
      const report = path.join(ctx.store.paths.qc, `integration-${name}-qc.md`);
      const outcome = tests.timedOut ? 'timed out' : `exited with ${tests.exitCode}`;
      writeFileAtomic(
        report,
        `# Integration test failure: ${name}\n\nAfter merging \`${mod.branch}\` the integration tests (\`${ctx.config.integrationTestCommand}\`) ` +
          `${outcome}. The merge was rolled back.\n\n\`\`\`\n${tests.output.slice(-20000)}\n\`\`\`\n<!-- DONE -->\n`,
      );
      await resetHard(wt, before);
      recordMerge(ctx, name, mergeKind, 'fail', 'FAILED');
      if (ctx.store.module(name).fixCycles >= ctx.config.fixCycles || ctx.signal.aborted) {
        return halt(ctx, `integration tests failed after merging ${name}; the merge was rolled back; details in ${report}`);
      }
      ctx.store.emit({ type: 'log', level: 'warn', message: `integration tests failed after merging ${name}; sending it back to its builder` });
      ctx.store.update((s) => s.modules.find((x) => x.name === name)!.fixCycles++);
      const spec = ctx.contracts().manifest.modules.find((m) => m.name === name)!;
      const status = await developModule(ctx, spec, integrationFindings(ctx, name, outcome, tests.output));
      if (status !== 'passed') return halt(ctx, `${name} was sent back after breaking the integration tests and is now ${status}; details in ${report}`);
    }
    const commit = await headCommit(wt);
    ctx.store.update((s) => {
      const m = s.modules.find((x) => x.name === name)!;
      m.status = 'merged';
      m.mergeCommit = commit;
    });
    ctx.store.emit({ type: 'module-status', module: name, status: 'merged' });
  }
  writeAssemblyReport(ctx);
  return { status: 'done', detail: `${order.length} modules merged` };
}

/** The integration failure as a MAJOR finding, in the shape the builder's fix cycle expects. */
function integrationFindings(ctx: PipelineContext, module: string, outcome: string, output: string): string {
  const finding = {
    severity: 'MAJOR',
    file: '',
    line: null,
    text:
      `After ${module} was merged into the integration branch, the project's tests (\`${ctx.config.integrationTestCommand}\`) ${outcome}; ` +
      `the merge was rolled back. Fix the module so the whole suite passes. Output (end):\n${output.slice(-3000)}`,
  };
  return JSON.stringify([finding], null, 2);
}

function halt(ctx: PipelineContext, reason: string): StageResult {
  writeAssemblyReport(ctx);
  return { status: 'halted', reason };
}

function recordMerge(
  ctx: PipelineContext,
  module: string,
  merge: 'clean' | 'auto-resolved' | 'conflict',
  tests: 'pass' | 'fail' | 'not-run',
  status: 'MERGED' | 'FAILED',
  commit?: string,
): void {
  const branch = ctx.store.module(module).branch;
  ctx.store.update((s) => {
    s.merges = s.merges.filter((m) => m.module !== module);
    s.merges.push({ module, branch, merge, tests, status, commit });
  });
  ctx.store.emit({ type: 'merge', module, result: merge, tests });
}

function writeConflictReport(
  ctx: PipelineContext,
  module: string,
  branch: string,
  files: ConflictFile[],
  unresolved: string[],
  resolved: string[] = [],
): string {
  const file = path.join(ctx.store.paths.conflicts, `assembly-${module}.md`);
  const parts = [
    `# Assembly conflict: ${module}`,
    `Merging \`${branch}\` into \`${ctx.store.state.integrationBranch}\`.`,
    unresolved.length ? `Not resolvable automatically:\n${unresolved.map((p) => `- ${p}`).join('\n')}\n\nThe merge was aborted; the integration branch is as it was before it.` : 'Every conflict was trivial and was resolved automatically.',
    resolved.length ? `Resolved automatically:\n${resolved.map((r) => `- ${r}`).join('\n')}` : '',
    ...files.map((f) => `## ${f.path}\n${f.hunks.map((h, i) => `### Hunk ${i + 1}\nOurs (integration):\n\`\`\`\n${h.ours}\n\`\`\`\nTheirs (${module}):\n\`\`\`\n${h.theirs}\n\`\`\``).join('\n')}`),
    '<!-- DONE -->',
  ];
  writeFileAtomic(file, parts.filter(Boolean).join('\n\n') + '\n');
  return file;
}

function writeAssemblyReport(ctx: PipelineContext): void {
  const rows = ctx.store.state.merges.map((m) => `| ${m.module} | ${m.branch} | ${m.merge} | ${m.tests} | ${m.status} |`);
  const text = ['# Assembly Report', '## Modules Merged', '| Module | Branch | Merge | Tests | Status |', '|---|---|---|---|---|', ...rows, '<!-- DONE -->', ''].join('\n');
  fs.mkdirSync(ctx.store.paths.builds, { recursive: true });
  writeFileAtomic(path.join(ctx.store.paths.builds, 'assembly-report.md'), text);
}
