/**
 * The scripted architect (Stage 1): writes the whole contract set in two turns (documents and
 * interfaces, then ADRs and locks), retries a write that failed once, and ends with the summary line
 * seed 000 asks for. Every later user message (validation problems, gate feedback) starts a new round
 * that rewrites the set; whether it is repaired depends on the scenario.
 */
import type { ScriptedReply } from '../api-types';
import { allUserText, lastWriteOf } from '../conversation';
import { hostileContractSet, invalidContractSet } from '../projects/bad-contracts';
import { contractSet, type ContractSet } from '../projects/contracts';
import { adaptToExisting, detectProject, type ProjectPlan } from '../projects/plan';
import { act, call, excerpt, finish } from '../reply';
import { taggedBlock } from '../task-card';
import { fitInReply, pendingWrites, workCalls, writeFailures, type RoleContext } from './context';

function chooseContracts(ctx: RoleContext, plan: ProjectPlan, problemsReported: boolean): ContractSet {
  if (ctx.scenario === 'hostile-names') return hostileContractSet(plan);
  if (ctx.scenario === 'invalid-contracts' && !problemsReported) return invalidContractSet(plan);
  return contractSet(plan);
}

function narration(ctx: RoleContext, problems: string | undefined, firstTurn: boolean): string | undefined {
  if (!firstTurn) return undefined;
  if (problems === undefined) return 'I will create the contracts directory and write the architecture, manifest and interfaces first.';
  const first = problems.split('\n').map((l) => l.trim()).find(Boolean) ?? 'problems';
  if (ctx.scenario === 'hostile-names') return `The validator reports: ${excerpt(first, 200)}. The module names are part of the design, so I am keeping them and rewriting the files as they are.`;
  return `The validator reports: ${excerpt(first, 200)}. I will rewrite the contracts with lowercase dash-separated module names and an acyclic dependency graph.`;
}

export function architectTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const latest = c.userTexts.at(-1);
  const calls = workCalls(c, latest?.messageIndex ?? -1);
  const text = allUserText(c);
  const existing = /## Existing codebase\n([\s\S]*)$/.exec(c.userTexts[0]?.text ?? '')?.[1] ?? '';
  const plan = adaptToExisting(detectProject(taggedBlock(text, 'project-description') ?? c.card.project, ctx.project), existing);
  const problems = latest ? taggedBlock(latest.text, 'validation-problems') : undefined;
  const set = chooseContracts(ctx, plan, text.includes('<validation-problems>'));

  const dir = c.card.contractsDir;
  const path = (rel: string) => `${dir}/${rel}`;
  const all = [...set.files.keys()];
  const pending = pendingWrites(calls, all.map(path));
  if (pending.length === 0) {
    const moduleCount = (JSON.parse(set.files.get('modules.json') ?? '{"modules":[]}') as { modules: unknown[] }).modules.length;
    return finish(`Done. ${moduleCount} modules, ${set.adrCount} ADRs, ${set.lockedCount} locked decisions.`);
  }
  const stuck = pending.find((p) => writeFailures(calls, p) >= 2);
  if (stuck !== undefined) {
    const error = lastWriteOf(calls, stuck)?.result?.text ?? 'unknown error';
    return finish(`BLOCKED. I could not write ${stuck} twice: ${excerpt(error, 300)}`);
  }

  // Documents and interfaces first, decisions and locks second: the locks refer to the ADRs.
  const firstBatch = all.filter((rel) => !rel.startsWith('decisions/') && rel !== 'locks.json').map(path);
  // Changes asked at the blueprint gate show in the architecture document, so a test can see that the
  // revision had them (the engine hands them over in <human-feedback>).
  const feedback = taggedBlock(text, 'human-feedback');
  const content = (p: string) => {
    const rel = p.slice(dir.length + 1);
    const body = set.files.get(rel) ?? '';
    if (rel !== 'architecture.md' || !feedback) return body;
    // Before the closing marker, which must stay the document's last line.
    const lines = body.trimEnd().split('\n');
    const marker = lines.pop() ?? '';
    return `${lines.join('\n').trimEnd()}\n\n## Revised at the blueprint gate\n- ${excerpt(feedback.split('\n')[0] ?? '', 300)}\n\n${marker}\n`;
  };
  const phase = pending.some((p) => firstBatch.includes(p)) ? pending.filter((p) => firstBatch.includes(p)) : pending;
  const batch = fitInReply(phase, content, ctx.maxTokens);
  const retried = batch.filter((p) => writeFailures(calls, p) > 0);
  const says =
    retried.length > 0
      ? `Writing ${retried[0]} failed (${excerpt(lastWriteOf(calls, retried[0]!)?.result?.text ?? '', 200)}); retrying it.`
      : narration(ctx, problems, calls.length === 0);
  return act(c, says, batch.map((p) => call('write', { file_path: p, content: content(p) })));
}
