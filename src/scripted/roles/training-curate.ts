/**
 * The scripted training agent in Stage 7 (`task: curate-state`): reads each brain file the task card
 * lists, rewrites it to the final state given in the <final-state> block (keeping the builder's
 * decisions and dependencies), writes one state pair per module and one about the run, then ends.
 */
import type { ScriptedReply } from '../api-types';
import { allUserText, normPath, succeeded } from '../conversation';
import { act, call, finish } from '../reply';
import { taggedBlock } from '../task-card';
import { readResult, type RoleContext } from './context';

interface ModuleFinal {
  module: string;
  state: string;
}

function finals(block: string): { modules: ModuleFinal[]; run: string } {
  const modules: ModuleFinal[] = [];
  let run = '';
  for (const line of block.split('\n')) {
    const m = /^- ([\w-]+): (.+)$/.exec(line.trim());
    if (m) modules.push({ module: m[1]!, state: m[2]! });
    const r = /^run: (.+)$/.exec(line.trim());
    if (r) run = r[1]!;
  }
  return { modules, run };
}

function section(text: string, title: string): string {
  const m = new RegExp(`## ${title}[^\\n]*\\n([\\s\\S]*?)(?=\\n## |$)`).exec(text);
  return (m?.[1] ?? '').trim();
}

function rewrittenBrain(module: string, old: string, state: string, run: string): string {
  const merged = /merged into/.test(state);
  return [
    `# ${module} Builder Brain`,
    `## Last Updated: end of run (${run})`,
    '## Current State',
    `Final state: ${state}.`,
    '## Key Decisions Made',
    section(old, 'Key Decisions Made') || '- None recorded.',
    ...[...old.matchAll(/^## Contract notice: (.+)$/gm)].map((n) => `- Contract notice kept: ${n[1]}`),
    '## Dependencies Used',
    section(old, 'Dependencies Used') || '- None recorded.',
    '## Known Issues',
    merged ? '- None known at the end of the run.' : `- Not merged: ${state}.`,
    '## Next Steps',
    merged ? '- None for this run; a new run starts from the integration branch.' : '- Finish the module and pass QC in a later run.',
    '',
  ].join('\n');
}

function pair(project: string, id: number, module: string, q: string, a: string, refs: string[]): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: `You are the project master for ${project}. Answer with specific module names, ADRs, and endpoints. If uncertain, say so.` },
      { role: 'user', content: q },
      { role: 'assistant', content: a },
    ],
    metadata: { pair_id: `qa-${String(id).padStart(5, '0')}`, taxonomy: 'state_status', source_refs: refs, modules_referenced: [module], hop_count: 1, difficulty: 'basic' },
  });
}

export function curateStateTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const text = allUserText(c);
  const output = c.card.fields['output_file'] ?? '.orchestration/training/state.jsonl';
  const start = Number.parseInt(c.card.fields['start_pair_id'] ?? '1', 10) || 1;
  const brains = (taggedBlock(text, 'brain-files') ?? '').split('\n').map((l) => l.replace(/^- /, '').trim()).filter(Boolean);
  const { modules, run } = finals(taggedBlock(text, 'final-state') ?? '');
  const unread = brains.filter((b) => !readResult(c.calls, b));
  if (unread.length) return act(c, 'Reading the brain files before bringing them to the final state.', unread.map((b) => call('read', { file_path: b })));
  const wrote = (p: string) => c.calls.some((x) => x.name === 'write' && normPath(x.input['file_path']) === normPath(p) && succeeded(x));
  const todo = [...brains, output].filter((p) => !wrote(p));
  const tried = c.calls.filter((x) => x.name === 'write').length;
  if (todo.length === 0 || tried >= (brains.length + 1) * 2) return finish(`Done. ${brains.length} brain files rewritten, ${modules.length + 1} state pairs written.`);
  const calls = todo.flatMap((p) => {
    if (p === output) {
      const lines = modules.map((m, i) =>
        pair(c.card.project, start + i, m.module, `What is the final state of the ${m.module} module after the last run?`, `At the end of the run the ${m.module} module stands as follows: ${m.state}. Its builder brain file records the same final state.`, [`.orchestration/brains/${m.module}-builder.md`]),
      );
      const first = modules[0]?.module ?? 'the project';
      lines.push(pair(c.card.project, start + modules.length, first, `How did the last run of ${c.card.project} end, and which modules does it cover?`, `The last run ended this way: ${run}. It covered ${modules.map((m) => m.module).join(' and ')}, and ${first} is among them.`, ['.orchestration/training/manifest.json']));
      return [call('write', { file_path: output, content: lines.join('\n') + '\n' })];
    }
    const module = /brains\/([\w-]+)-builder\.md$/.exec(p)?.[1] ?? '';
    const old = readResult(c.calls, p);
    const state = modules.find((m) => m.module === module)?.state ?? 'not built in this run';
    return [call('write', { file_path: p, content: rewrittenBrain(module, old?.ok ? old.text : '', state, run) })];
  });
  return act(c, `Bringing ${todo.length - (todo.includes(output) ? 1 : 0)} brain files to the final state and writing the state pairs.`, calls);
}
