/**
 * The scripted plan reviewer and the planner revising the plan after review (T3).
 * Reviewer: reads the repository's README, then submits findings about the plan files it was shown.
 * Default: none. Scenario `plan-review-findings`, first round: a High on phase 01 (its task brief
 * names no test command), a Medium on plan.md that quotes a call `migrateAll()` the plan never
 * mentions (the judge finds it hallucinated) and a Low on plan.md asking the summary to name the test
 * command (valid). Later rounds: none.
 * Reviser: reads each cited file and appends a revision note answering each finding to it.
 */
import type { ScriptedReply } from '../api-types';
import { succeeded } from '../conversation';
import { taggedBlock } from '../task-card';
import { act, call, finish } from '../reply';
import type { RoleContext } from './context';

export function planReviewerTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  if (c.calls.some((x) => x.name === 'submit_review' && x.result && !x.result.isError)) return finish('Plan review submitted.');
  if (!c.calls.some((x) => x.name === 'read')) return act(c, 'Reading the code the plan changes.', [call('read', { file_path: 'README.md' })]);
  const first = c.userTexts[0]?.text ?? '';
  const files = [...first.matchAll(/<plan-file name="([^"]+)">/g)].map((m) => m[1]!);
  const phase1 = files.find((f) => f.startsWith('phase-01-'));
  const findings: object[] = [];
  if (ctx.scenario === 'plan-review-findings' && c.card.fields['round'] === '1') {
    if (phase1) findings.push({ severity: 'High', file: phase1, line: 2, text: 'Task T1 does not say which test command proves it done; name `node --test` in its details.' });
    findings.push({ severity: 'Medium', file: 'plan.md', line: 1, text: 'The plan relies on `migrateAll()` to convert existing data, but no phase implements it.' });
    findings.push({ severity: 'Low', file: 'plan.md', line: 3, text: 'The summary does not name the test command that proves the change; add it.' });
  }
  return act(c, undefined, [call('submit_review', { summary: findings.length ? `${findings.length} finding(s).` : 'No findings: the plan matches the code and can be implemented as written.', findings })]);
}

interface PlanFinding {
  severity: string;
  file: string;
  text: string;
}

function parseFindings(block: string): PlanFinding[] {
  return block
    .split('\n')
    .map((l) => /^- \((\w+)\) ([^:]+):\d+: (.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ severity: m[1]!, file: m[2]!, text: m[3]! }));
}

export function planReviserTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const round = c.card.fields['round'] ?? '?';
  const findings = parseFindings(taggedBlock(c.userTexts[0]?.text ?? '', 'plan-findings') ?? '');
  if (findings.length === 0) return finish('No finding to revise.');
  const files = [...new Set(findings.map((f) => f.file))];
  const unread = files.filter((f) => !c.calls.some((x) => x.name === 'read' && x.input['file_path'] === f));
  if (unread.length > 0) return act(c, 'Reading the files the review cites.', unread.map((f) => call('read', { file_path: f })));
  const written = files.filter((f) => c.calls.some((x) => x.name === 'write' && x.input['file_path'] === f && succeeded(x)));
  const pending = files.filter((f) => !written.includes(f));
  if (pending.length === 0) return finish(`Revised ${files.join(', ')} after review round ${round}.`);
  if (c.calls.some((x) => x.name === 'write' && !succeeded(x) && x.result)) return finish('A revision could not be written.');
  return act(
    c,
    `Revising ${pending.join(', ')}.`,
    pending.map((f) => {
      const current = c.calls.filter((x) => x.name === 'read' && x.input['file_path'] === f && x.result && !x.result.isError).at(-1)?.result?.text ?? '';
      const notes = findings.filter((x) => x.file === f).map((x) => `> Revised after review round ${round} (${x.severity}): ${x.text}`);
      return call('write', { file_path: f, content: `${current.endsWith('\n') ? current : `${current}\n`}\n${notes.join('\n')}\n` });
    }),
  );
}
