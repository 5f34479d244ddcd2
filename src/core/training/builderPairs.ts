/**
 * The engine's two steps with a builder's session pairs (M4; the rules are in sessionPairs.ts):
 * - at the builder's hand-over (outcome "done"), the file is checked and rewritten with the accepted
 *   pairs, before the engine commits the builder's work, so the kept pairs are part of that commit;
 * - when the module passes QC, the file's counts go to the pending manifest, and what was rejected is
 *   said where people look: one journal line, and a "Training pairs" section in the module's QC report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PipelineContext } from '../stages/context';
import { openConflictsOf, projectNouns, projectSubjects } from '../stages/bootstrap';
import { qcReportPath } from '../stages/qcReport';
import { checkSessionPairs, recordSessionEntry, type SessionCheck } from './sessionPairs';

export function checkPairsAtHandOver(ctx: PipelineContext, module: string, worktree: string): SessionCheck | undefined {
  return checkSessionPairs({
    worktree,
    module,
    runDir: ctx.store.paths.runDir,
    nouns: projectNouns(ctx),
    subjects: projectSubjects(ctx),
    openConflicts: openConflictsOf(ctx),
    now: ctx.clock ? ctx.clock() : new Date(),
  });
}

/**
 * `check` is the last hand-over's check; what it lists as rejected is everything on record for the
 * module in this run, so the report agrees with the manifest after a fix cycle or a resume.
 */
export function reportPairsOnQcPass(ctx: PipelineContext, module: string, check: SessionCheck | undefined): void {
  if (!check) {
    ctx.store.emit({ type: 'log', level: 'warn', message: `training pairs of ${module}: none written (${module}-session-pairs.jsonl is missing)` });
    return;
  }
  recordSessionEntry(ctx.store.paths.runDir, path.posix.basename(check.file), check.entry);
  const rejected = check.recorded;
  const name = (r: (typeof rejected)[number]) => r.pairId ?? `line ${r.line}`;
  const rules = [...new Set(rejected.map((r) => r.rule))];
  ctx.store.emit({
    type: 'log',
    level: rejected.length ? 'warn' : 'info',
    message: `training pairs of ${module}: ${check.accepted} accepted, ${rejected.length} rejected${rejected.length ? ` (${rejected.map((r) => `${name(r)}: ${r.rule}`).join(', ')})` : ''}`,
  });
  const report = qcReportPath(ctx.store.paths.qc, module);
  if (fs.existsSync(report)) {
    const section = [
      '## Training pairs',
      `${check.accepted} of the builder's session pairs kept in \`${check.file}\`; ${rejected.length} rejected by the quality rules${rules.length ? ` (${rules.join(', ')})` : ''}.`,
      ...rejected.map((r) => `- ${name(r)}: ${r.rule}: ${r.reason}`),
      '',
    ].join('\n');
    fs.appendFileSync(report, `\n${section}`);
  }
}
