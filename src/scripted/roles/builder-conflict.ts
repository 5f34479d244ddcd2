/**
 * The contract-conflict path of a scripted builder (M13): having read its interface, it stops,
 * writes the conflict report (what, why, proposed change), reports `blocked` with the issue slug
 * and details, and ends with the BLOCKED line. It never works around the contract.
 */
import type { ScriptedReply } from '../api-types';
import { lastWriteOf, succeeded, type ToolCall } from '../conversation';
import type { ModulePlan } from '../projects/plan';
import { act, call, excerpt, finish } from '../reply';
import { conflictPath, contractConflict, missingDependencyConflict } from './builder-scenarios';
import type { BuilderSetup } from './builder-setup';
import { writeFailures, type RoleContext } from './context';

export function conflictTurn(ctx: RoleContext, s: BuilderSetup, mod: ModulePlan, calls: ToolCall[]): ScriptedReply {
  const conflict = ctx.scenario === 'needs-dependency' ? missingDependencyConflict(mod, s) : contractConflict(mod, s);
  const path = conflictPath(ctx, s, conflict.slug);
  const written = succeeded(lastWriteOf(calls, path));
  if (!written && writeFailures(calls, path) < 2 && ctx.c.tools.has('write')) {
    const says = `My contract asks for something I cannot honour: ${conflict.sentence} I am stopping and writing a conflict report instead of working around it.`;
    return act(ctx.c, says, [call('write', { file_path: path, content: conflict.report })]);
  }
  const reports = calls.filter((x) => x.name === 'report_outcome');
  const last = reports.at(-1);
  if (ctx.c.tools.has('report_outcome') && (!last || (last.result?.isError && reports.length < 2))) {
    const details = written ? `Report: ${path}\n\n${conflict.report}` : `The conflict report could not be written (${excerpt(lastWriteOf(calls, path)?.result?.text ?? '', 200)}).\n\n${conflict.report}`;
    return act(ctx.c, undefined, [
      call('report_outcome', {
        status: 'blocked',
        summary: `Contract conflict: ${conflict.sentence}`,
        conflict_issue: conflict.slug,
        conflict_details: excerpt(details, last ? 4000 : 19000),
      }),
    ]);
  }
  return finish(`BLOCKED. Contract conflict: ${conflict.sentence}`);
}
