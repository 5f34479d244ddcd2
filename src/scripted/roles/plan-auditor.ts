/**
 * The scripted flow auditor: reads only the excerpt it is given. Open questions in a phase (TODO,
 * TBD) make it ask for a person's look ("Significant Issues"); otherwise the plan is Ready.
 */
import type { ScriptedReply } from '../api-types';
import { taggedBlock } from '../task-card';
import { act, call, finish } from '../reply';
import type { RoleContext } from './context';

export function planAuditorTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const submitted = c.calls.find((x) => x.name === 'submit_audit' && x.result && !x.result.isError);
  if (submitted) return finish(`Audit submitted: ${String(submitted.input['verdict'])}.`);
  const excerpt = taggedBlock(c.userTexts[0]?.text ?? '', 'plan-excerpt') ?? '';
  const reasons: string[] = [];
  for (const block of excerpt.split(/\n\n(?=phase-\d\d-)/)) {
    const file = /^(phase-\d\d-[a-z0-9-]+\.md)/.exec(block)?.[1];
    if (file && /\b(TODO|TBD)\b/.test(block)) reasons.push(`${file} leaves an open question (TODO/TBD) that an implementer would have to guess.`);
  }
  return act(c, undefined, [call('submit_audit', { verdict: reasons.length ? 'Significant Issues' : 'Ready', reasons })]);
}
