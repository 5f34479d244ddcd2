/**
 * What assembly records: one entry per module in the run state (merge kind, test result, which tests
 * ran and why), the `merge` event, the conflict reports, and builds/assembly-report.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConflictFile } from '../git';
import { writeFileAtomic } from '../run/runDir';
import type { PipelineContext } from '../stages/context';
import type { TestSelection } from './testSelection';

export interface MergeRecord {
  merge: 'clean' | 'auto-resolved' | 'conflict';
  tests: 'pass' | 'fail' | 'not-run';
  status: 'MERGED' | 'FAILED' | 'SKIPPED';
  commit?: string;
  selection?: TestSelection;
  /** The command lines that ran (up to the red one). */
  ran?: string[];
  /** Overrides the selection's reason (a merge rolled back after the fact). */
  reason?: string;
  /** The scope of tests that ran, when no selection is given (a record rewritten after a rollback). */
  scope?: 'selected' | 'full';
}

export function recordMerge(ctx: PipelineContext, module: string, r: MergeRecord): void {
  const branch = ctx.store.module(module).branch;
  const reason = r.reason ?? r.selection?.reason;
  const scope = r.scope ?? r.selection?.scope;
  ctx.store.update((s) => {
    s.merges = s.merges.filter((m) => m.module !== module);
    s.merges.push({
      module,
      branch,
      merge: r.merge,
      tests: r.tests,
      status: r.status,
      ...(r.commit ? { commit: r.commit } : {}),
      ...(scope ? { testScope: scope } : {}),
      ...(r.ran ? { testsRun: r.ran } : {}),
      ...(reason ? { testReason: reason } : {}),
    });
  });
  ctx.store.emit({ type: 'merge', module, result: r.merge, tests: r.tests });
}

export function writeConflictReport(
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

/** Table cells come from model-chosen command lines: pipes and newlines would break the table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

export function writeAssemblyReport(ctx: PipelineContext): void {
  const rows = ctx.store.state.merges.map(
    (m) => `| ${m.module} | ${m.branch} | ${m.merge} | ${m.tests} | ${m.status} | ${m.testScope ?? ''} | ${cell((m.testsRun ?? []).map((c) => `\`${c}\``).join(', '))} | ${cell(m.testReason ?? '')} |`,
  );
  const work = ctx.store.state.assembly;
  const text = [
    '# Assembly Report',
    '## Modules Merged',
    '| Module | Branch | Merge | Tests | Status | Scope | Tests run | Why |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Assembly test work: ${work?.testProcesses ?? 0} test processes, ${work?.fullSuiteRuns ?? 0} of them the full suite.` +
      (work?.fullSuitesAhead ? ` Besides, ${work.fullSuitesAhead} full suite(s) run on the final head while its module was in QC (one that was used is counted above too).` : ''),
    '<!-- DONE -->',
    '',
  ].join('\n');
  fs.mkdirSync(ctx.store.paths.builds, { recursive: true });
  writeFileAtomic(path.join(ctx.store.paths.builds, 'assembly-report.md'), text);
}
