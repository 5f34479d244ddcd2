/**
 * The scripted code reviewer and review judge of a phase.
 * Reviewer: reads the changed files, then submits findings. Default: none. Scenario
 * `review-findings` (phase 01, first round): a Medium that cites a call the code does not make
 * (hallucinated) and a Low asking for a usage example (valid). Scenario `review-high`: a High in
 * phase 01's source until a fix task has marked it reviewed (so every round before the fix).
 * Judge: a finding that quotes a call `name()` absent from the excerpt is hallucinated; one about
 * whitespace or formatting only is cosmetic; anything else is valid.
 */
import type { ScriptedReply } from '../api-types';
import { taggedBlock } from '../task-card';
import { act, call, finish } from '../reply';
import type { RoleContext } from './context';

export function codeReviewerTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const first = c.userTexts[0]?.text ?? '';
  const done = c.calls.find((x) => x.name === 'submit_review' && x.result && !x.result.isError);
  if (done) return finish('Review submitted.');
  const changed = (taggedBlock(first, 'changed-files') ?? '')
    .split('\n')
    .map((l) => l.replace(/^[A-Z]\s+/, '').trim())
    .filter((f) => f && f !== '(none)');
  if (!c.calls.some((x) => x.name === 'read')) {
    const toRead = changed.slice(0, 4);
    if (toRead.length > 0) return act(c, 'Reading the changed files.', toRead.map((f) => call('read', { file_path: f })));
  }
  const phase = c.card.fields['phase'];
  const round = c.card.fields['round'];
  const findings: object[] = [];
  const source = changed.find((f) => /^src\/ops\/[a-z]+\.js$/.test(f));
  const doc = changed.find((f) => /^docs\/[a-z]+\.md$/.test(f));
  const op = source ? /([a-z]+)\.js$/.exec(source)![1] : 'it';
  if (ctx.scenario === 'review-findings' && phase === '01' && round === '1') {
    if (source) findings.push({ severity: 'Medium', file: source, line: 4, text: `\`${op}\` calls \`toBigInt()\` on both operands, which throws for plain numbers; guard the call.` });
    if (doc) findings.push({ severity: 'Low', file: doc, line: 1, text: 'The page has no usage example; add one line showing a call.' });
  }
  const fixed = (file: string) => c.calls.some((x) => x.name === 'read' && x.input['file_path'] === file && x.result?.text.includes('// Reviewed:'));
  if (ctx.scenario === 'review-high' && phase === '01' && source && !fixed(source)) {
    findings.push({ severity: 'High', file: source, line: 3, text: `\`${op}\` accepts strings and returns NaN silently; reject non-numbers.` });
  }
  return act(c, undefined, [call('submit_review', { summary: findings.length ? `${findings.length} finding(s).` : 'No findings: the change does what the phase asks and is tested.', findings })]);
}

export function reviewJudgeTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  if (c.calls.some((x) => x.name === 'submit_judgement' && x.result && !x.result.isError)) return finish('Judged.');
  const text = /^text: (.*)$/m.exec(taggedBlock(c.userTexts[0]?.text ?? '', 'finding') ?? '')?.[1] ?? '';
  const excerpt = /<excerpt[^>]*>([\s\S]*?)<\/excerpt>/.exec(c.userTexts[0]?.text ?? '')?.[1] ?? '';
  const calls = [...text.matchAll(/`([A-Za-z_$][\w$]*)\(\)`/g)].map((m) => m[1]!);
  const missing = calls.find((name) => !excerpt.includes(`${name}(`));
  const judgement = missing
    ? { judgement: 'hallucinated', reason: `the cited code never calls ${missing}(); the finding describes code that is not there` }
    : /whitespace|indentation|formatting|trailing space/i.test(text)
      ? { judgement: 'cosmetic', reason: 'formatting only; behaviour and meaning are unchanged' }
      : { judgement: 'valid', reason: 'the excerpt lacks what the finding asks for' };
  return act(c, undefined, [call('submit_judgement', judgement)]);
}
