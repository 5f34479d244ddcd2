/**
 * The scripted planning agent (`build-pipeline plan`): looks at the repository (README and the
 * JavaScript sources), then writes plan.md and the phase files of the calc plan, citing the files
 * it found. Asked to repair, it rewrites the files it wrote (its plan was already well formed).
 */
import type { ScriptedReply } from '../api-types';
import { taggedBlock } from '../task-card';
import { calcPlanFiles } from '../projects/calc-plan';
import { act, call, finish } from '../reply';
import type { RoleContext } from './context';

/** The repository-relative path of an absolute glob result (the part from `src/` on). */
function relative(p: string): string | undefined {
  const i = p.lastIndexOf('/src/');
  return i >= 0 ? p.slice(i + 1) : undefined;
}

export function plannerTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const dir = (c.card.fields['plan_dir'] ?? '').replace(/\/+$/, '');
  if (!dir) return finish('My task card names no plan folder, so I wrote nothing.');
  const description = taggedBlock(c.userTexts[0]?.text ?? '', 'plan-description') ?? '';
  const glob = c.calls.find((x) => x.name === 'glob');
  if (!glob) return act(c, 'Reading the repository before planning.', [call('glob', { pattern: 'src/**/*.js' }), call('read', { file_path: 'README.md' })]);
  if (!glob.result) return finish('The file listing did not come back.');
  const sources = glob.result.text.split('\n').map(relative).filter((p): p is string => !!p).sort();
  const plan = calcPlanFiles(description, [...sources.slice(0, 1), 'README.md']);
  const writes = c.calls.filter((x) => x.name === 'write');
  const repairing = c.userTexts.length > 1;
  if (writes.length === 0 || (repairing && !writes.some((w) => w.messageIndex > c.userTexts.at(-1)!.messageIndex))) {
    return act(c, `Writing the plan: ${plan.phases.length} phases.`, [
      call('write', { file_path: `${dir}/plan.md`, content: plan.planMd }),
      ...plan.phases.map((p) => call('write', { file_path: `${dir}/${p.file}`, content: p.content })),
    ]);
  }
  const failed = writes.filter((w) => w.result?.isError);
  if (failed.length > 0) return finish(`Some plan files could not be written: ${failed.map((f) => f.result?.text.slice(0, 120)).join('; ')}`);
  return finish(`I wrote ${plan.phases.length} phases and plan.md in ${dir}.`);
}
