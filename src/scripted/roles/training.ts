/**
 * The scripted training-data agent (Stage 1b): reads modules.json and locks.json, writes the pairs
 * file, ends with the count line. In a repair round (the engine's <missing-types> block) it reads
 * what it wrote and rewrites the file with pairs of the missing types added. Scenarios add one bad
 * pair per quality rule (bootstrap-bad-pairs), or start too short (bootstrap-short, bootstrap-stuck).
 */
import type { ScriptedReply } from '../api-types';
import { allUserText, succeeded } from '../conversation';
import { planFromManifest } from '../projects/manifest';
import { detectProject } from '../projects/plan';
import { badPairs, trainingPairs, type Decision, type PairType } from '../projects/training-pairs';
import { act, call, finish } from '../reply';
import { taggedBlock } from '../task-card';
import { readResult, type RoleContext } from './context';
import { curateStateTurn } from './training-curate';

function decisionsOf(text: string | undefined): Decision[] {
  try {
    const locks = JSON.parse(text ?? '') as { decisions?: Record<string, { assertion?: string; lock_level?: string }> };
    return Object.entries(locks.decisions ?? {}).map(([key, e]) => ({ key, assertion: String(e.assertion ?? ''), level: String(e.lock_level ?? 'unlocked') }));
  } catch {
    return [];
  }
}

export function trainingTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  if (c.card.fields['task'] === 'curate-state') return curateStateTurn(ctx);
  const output = c.card.fields['output_file'] ?? '.orchestration/training/bootstrap.jsonl';
  const start = Number.parseInt(c.card.fields['start_pair_id'] ?? '1', 10) || 1;
  const since = c.userTexts.at(-1)?.messageIndex ?? -1;
  const work = c.calls.filter((x) => x.messageIndex > since);
  const manifest = readResult(c.calls, `${c.card.contractsDir}/modules.json`);
  const locks = readResult(c.calls, `${c.card.contractsDir}/locks.json`);
  const missingBlock = taggedBlock(allUserText(c), 'missing-types');
  const repair = missingBlock !== undefined;
  if (!manifest || !locks) {
    return act(c, 'Reading the module manifest and the locked decisions first.', [
      call('read', { file_path: `${c.card.contractsDir}/modules.json` }),
      call('read', { file_path: `${c.card.contractsDir}/locks.json` }),
    ]);
  }
  const previous = readResult(work, output);
  if (repair && !previous) return act(c, 'Reading what I wrote, to add the missing types.', [call('read', { file_path: output })]);
  const written = work.filter((x) => x.name === 'write' && succeeded(x)).length;
  if (written > 0) return finish(`Done. Wrote the pairs to ${output}.`);

  const plan = (manifest.ok ? planFromManifest(manifest.text) : undefined) ?? detectProject(c.card.project, ctx.project);
  const decisions = decisionsOf(locks.ok ? locks.text : undefined);
  let lines: string[];
  if (repair) {
    const kept = (previous?.ok ? previous.text : '').split('\n').filter((l) => l.trim());
    const missing: Partial<Record<PairType, number>> = {};
    for (const m of (missingBlock ?? '').matchAll(/([a-z_]+): (\d+)/g)) missing[m[1] as PairType] = Number(m[2]);
    // bootstrap-stuck: the repair round adds nothing (the stage must then fail clearly).
    const extra = ctx.scenario === 'bootstrap-stuck' ? [] : trainingPairs(plan, decisions, start + kept.length).filter((l) => !kept.some((k) => k.includes(JSON.parse(l).messages[1].content)));
    lines = [...kept, ...extra];
  } else if (ctx.scenario === 'bootstrap-short' || ctx.scenario === 'bootstrap-stuck') {
    lines = trainingPairs(plan, decisions, start, { factual_recall: 8, procedural: 2 });
  } else {
    lines = trainingPairs(plan, decisions, start);
    if (ctx.scenario === 'bootstrap-bad-pairs') lines = [...badPairs(plan, start + lines.length), ...lines];
  }
  return act(c, repair ? `Adding pairs for the missing types; ${lines.length} pairs in all.` : `Writing ${lines.length} pairs across the taxonomy types.`, [
    call('write', { file_path: output, content: lines.join('\n') + '\n' }),
  ]);
}
