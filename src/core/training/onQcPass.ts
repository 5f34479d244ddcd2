/**
 * The engine's step when a module passes QC (M4): its builder's session pairs are checked with the
 * quality rules (sessionPairs.ts), and what was rejected is said where people look: one journal line,
 * and a "Training pairs" section in the module's QC report.
 */
import * as fs from 'node:fs';
import { ENGINE_AUTHOR, type PipelineContext } from '../stages/context';
import { openConflictsOf, projectNouns, projectSubjects } from '../stages/bootstrap';
import { qcReportPath } from '../stages/qcReport';
import { checkSessionPairs } from './sessionPairs';

export async function checkPairsOnQcPass(ctx: PipelineContext, module: string, worktree: string): Promise<void> {
  const check = await checkSessionPairs({
    worktree,
    module,
    runDir: ctx.store.paths.runDir,
    nouns: projectNouns(ctx),
    subjects: projectSubjects(ctx),
    openConflicts: openConflictsOf(ctx),
    now: ctx.clock ? ctx.clock() : new Date(),
    author: ENGINE_AUTHOR,
  });
  if (!check) {
    ctx.store.emit({ type: 'log', level: 'warn', message: `training pairs of ${module}: none written (${module}-session-pairs.jsonl is missing)` });
    return;
  }
  // The engine's commit is not the builder's work: the next builder's commit ownership starts after it.
  if (check.commit) ctx.store.update((s) => (s.modules.find((m) => m.name === module)!.engineHead = check.commit!));
  const rules = [...new Set(check.rejected.map((r) => r.rule))];
  ctx.store.emit({
    type: 'log',
    level: check.rejected.length ? 'warn' : 'info',
    message: `training pairs of ${module}: ${check.accepted} accepted, ${check.rejected.length} rejected${check.rejected.length ? ` (${check.rejected.map((r) => `${r.pairId ?? `line ${r.line}`}: ${r.rule}`).join(', ')})` : ''}`,
  });
  const report = qcReportPath(ctx.store.paths.qc, module);
  if (fs.existsSync(report)) {
    const section = [
      '## Training pairs',
      `${check.accepted} of the builder's session pairs kept in \`${check.file}\`; ${check.rejected.length} rejected by the quality rules${rules.length ? ` (${rules.join(', ')})` : ''}.`,
      ...check.rejected.map((r) => `- ${r.pairId ?? `line ${r.line}`}: ${r.rule}: ${r.reason}`),
      '',
    ].join('\n');
    fs.appendFileSync(report, `\n${section}`);
  }
}
