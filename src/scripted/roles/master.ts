/**
 * The scripted master agent (M12/M13). With `task: apply-changes` it applies the contract changes
 * listed in its <contract-changes> block (JSON: [{change, reason}]) one `change_contract` call at a
 * time, in order, each after looking the item up with `memory_search` when it has that tool (what was
 * decided before, and superseded, is in the archive), never retrying a refusal (a refusal names a lock: the master reports it instead
 * of arguing), and ends with a line counting what was applied and refused.
 */
import type { ScriptedReply } from '../api-types';
import { allUserText, succeeded } from '../conversation';
import { taggedBlock } from '../task-card';
import { act, call, excerpt, finish } from '../reply';
import type { RoleContext } from './context';
import { evaluateConflictTurn } from './master-conflict';

interface RequestedChange {
  change: Record<string, unknown>;
  reason: string;
}

function requestedChanges(text: string): RequestedChange[] | string {
  const block = taggedBlock(text, 'contract-changes');
  if (block === undefined) return 'no <contract-changes> block';
  try {
    const parsed = JSON.parse(block) as unknown;
    if (!Array.isArray(parsed)) return 'the block is not a JSON list';
    return parsed.filter((x): x is RequestedChange => !!x && typeof x === 'object' && typeof (x as RequestedChange).reason === 'string' && !!(x as RequestedChange).change);
  } catch (e) {
    return `the block is not JSON (${(e as Error).message})`;
  }
}

export function masterTurn(ctx: RoleContext): ScriptedReply {
  const task = ctx.c.card.fields['task'];
  if (task === 'evaluate-conflict') return evaluateConflictTurn(ctx);
  if (task !== 'apply-changes') return finish(`I am the master; my task card names no task I know (${task ?? 'none'}).`);
  const wanted = requestedChanges(allUserText(ctx.c));
  if (typeof wanted === 'string') return finish(`BLOCKED. I cannot read the changes to apply: ${wanted}.`);
  const done = ctx.c.calls.filter((x) => x.name === 'change_contract');
  const searches = ctx.c.calls.filter((x) => x.name === 'memory_search');
  const unanswered = ctx.c.calls.some((x) => x.result === undefined);
  if (!unanswered && done.length < wanted.length && ctx.c.tools.has('change_contract')) {
    const next = wanted[done.length]!;
    const key = typeof next.change['key'] === 'string' ? next.change['key'] : '';
    if (ctx.c.tools.has('memory_search') && key && searches.length <= done.length) {
      return act(ctx.c, `Looking up what memory holds about ${key} before changing it.`, [call('memory_search', { query: key, limit: 3 })]);
    }
    return act(ctx.c, `Applying change ${done.length + 1} of ${wanted.length}.`, [call('change_contract', { change: next.change, reason: next.reason })]);
  }
  const applied = done.filter(succeeded).length;
  const refused = done.filter((x) => x.result?.isError).map((x) => excerpt(x.result!.text, 300));
  const found = searches.map((x) => /^1\. (.+)$/m.exec(x.result?.text ?? '')?.[1]).filter(Boolean);
  const history = found.length ? ` Memory had: ${found.join(' | ')}.` : '';
  return finish(`Done. ${applied} change(s) applied, ${refused.length} refused${refused.length ? `: ${refused.join(' | ')}` : ''}.${history}`);
}
