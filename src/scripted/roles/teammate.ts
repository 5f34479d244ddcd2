/**
 * The scripted teammates (builder, validator) of a team phase. A teammate keeps one conversation
 * across its wake-ups; each wake starts with a `<wake>` message listing claimable tasks (or the task
 * it still holds after a resume). It claims, does the work with real file tools and the real test
 * command, tells the validator what it changed, and completes the task. Scenario `teammate-dies`:
 * builder-2 fails mid-task, after writing files it never commits.
 */
import type { ScriptedReply } from '../api-types';
import { callsAfter, succeeded, type ToolCall } from '../conversation';
import { OPS, opDoc, opSource, opTest } from '../projects/calc-ops';
import { act, call, finish } from '../reply';
import type { RoleContext } from './context';

interface HeldTask {
  id: string;
  kind: string;
  files: string[];
  details: string;
}

export function parseTaskText(text: string): HeldTask | undefined {
  const id = /claimed (\S+):/.exec(text)?.[1];
  if (!id) return undefined;
  const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const files = field('files') === '-' ? [] : field('files').split(',').map((f) => f.trim()).filter(Boolean);
  const details = text.slice(text.indexOf('details: ') + 'details: '.length);
  return { id, kind: field('kind'), files, details };
}

/** What the catalogue writes for a path; undefined for files it must read and extend. */
function catalogued(file: string): string | undefined {
  const op = /^src\/ops\/([a-z]+)\.js$/.exec(file)?.[1];
  if (op) return opSource(op);
  const test = /^test\/([a-z]+)\.test\.js$/.exec(file)?.[1];
  if (test) return opTest(test);
  const doc = /^docs\/([a-z]+)\.md$/.exec(file)?.[1];
  if (doc) return opDoc(doc);
  return undefined;
}

function readText(calls: ToolCall[], file: string): string | undefined {
  const r = calls.filter((x) => x.name === 'read' && x.input['file_path'] === file && x.result && !x.result.isError).at(-1);
  // Mail delivered with this result rides in the same text; it is not part of the file.
  return r?.result?.text
    .split('\n')
    .filter((l) => !l.startsWith('<mailbox>') && !/^#\d+ from /.test(l) && l !== '</mailbox>')
    .join('\n');
}

function extended(file: string, current: string, task: HeldTask): string {
  const base = current.endsWith('\n') ? current : `${current}\n`;
  const op = /([a-z]+)\.md$/.exec(file)?.[1] ?? '';
  // Changes asked at the ship gate: the feedback, applied to the file the builder chose.
  if (task.kind === 'ship-changes') return `${base}\n${task.details.split('\n').find((l) => l.startsWith('Feedback: '))?.slice('Feedback: '.length) ?? task.details.split('\n')[0]}\n`;
  if (task.kind === 'fix') return file.endsWith('.md') ? `${base}\nExample: \`${op}(2, 3)\`\n` : `${base}// Reviewed: ${task.details.slice(0, 80).replace(/\n/g, ' ')}\n`;
  if (file === 'README.md') return `${base}\nOperations: ${Object.keys(OPS).slice(0, 3).join(', ')} (see docs/).\n`;
  return `${base}\n- ${task.details.split('\n')[0]!.slice(0, 100)}\n`;
}

function builderWork(ctx: RoleContext, calls: ToolCall[], task: HeldTask, name: string, validator: string | undefined, testCommand: string): ScriptedReply {
  const { c } = ctx;
  const writes = calls.filter((x) => (x.name === 'write' || x.name === 'edit') && succeeded(x));
  if (task.kind === 'fix-tests') {
    const grep = calls.find((x) => x.name === 'grep');
    if (!grep) return act(c, 'Looking for the cause of the red tests.', [call('grep', { pattern: 'BUG:' })]);
    const hit = /^(.*?):(\d+):(.*)$/m.exec(grep.result?.text ?? '');
    if (!hit && writes.length === 0) return finish(`I could not find the cause of the failing tests for ${task.id}.`);
    if (hit && writes.length === 0) {
      const line = hit[3]!.trim();
      const replacement = /BUG: should be (.*)$/.exec(line)?.[1]?.trim();
      const rel = hit[1]!.includes('/src/') ? hit[1]!.slice(hit[1]!.lastIndexOf('/src/') + 1) : hit[1]!;
      if (!readText(calls, rel)) return act(c, undefined, [call('read', { file_path: rel })]);
      if (!replacement) return finish(`The marker in ${rel} does not say what the code should be.`);
      return act(c, `Fixing ${rel}.`, [call('edit', { file_path: rel, old_string: line, new_string: replacement })]);
    }
  } else {
    // A ship-gate change names no file; the scripted builder puts it in the README.
    if (task.kind === 'ship-changes' && task.files.length === 0) task.files = ['README.md'];
    const pending = task.files.filter((f) => !writes.some((w) => w.input['file_path'] === f));
    if (pending.length > 0) {
      const needRead = pending.filter((f) => (task.kind === 'fix' || catalogued(f) === undefined) && readText(calls, f) === undefined && !calls.some((x) => x.name === 'read' && x.input['file_path'] === f));
      if (needRead.length > 0) return act(c, undefined, needRead.map((f) => call('read', { file_path: f })));
      return act(
        c,
        `Working on ${task.id}.`,
        pending.map((f) => call('write', { file_path: f, content: task.kind === 'fix' || catalogued(f) === undefined ? extended(f, readText(calls, f) ?? '', task) : catalogued(f)! })),
      );
    }
  }
  const lastWrite = Math.max(-1, ...writes.map((w) => w.messageIndex));
  const tested = calls.find((x) => x.name === 'bash' && x.input['command'] === testCommand && x.messageIndex > lastWrite);
  if (!tested) {
    if (ctx.scenario === 'teammate-dies' && name === 'builder-2') throw new Error('scripted teammate builder-2 fails mid-task (scenario teammate-dies)');
    return act(c, 'Running the tests.', [call('bash', { command: testCommand, timeout_ms: 120_000 })]);
  }
  if (!tested.result) return finish('The test run did not come back.');
  const sent = calls.some((x) => x.name === 'send_message');
  if (validator && !sent) {
    return act(c, undefined, [call('send_message', { to: validator, text: `${task.id} from ${name}: changed ${task.files.join(', ') || 'the failing code'}; tests ${tested.result.isError ? 'red' : 'green'}.` })]);
  }
  return act(c, undefined, [call('complete_task', { id: task.id, summary: `Changed ${task.files.join(', ') || 'the code the tests exposed'}; \`${testCommand}\` is ${tested.result.isError ? 'red' : 'green'}.` })]);
}

function validatorWork(ctx: RoleContext, calls: ToolCall[], task: HeldTask, testCommand: string): ScriptedReply {
  const { c } = ctx;
  const unread = task.files.filter((f) => !calls.some((x) => x.name === 'read' && x.input['file_path'] === f));
  const tested = calls.find((x) => x.name === 'bash' && x.input['command'] === testCommand);
  if (unread.length > 0 || !tested) {
    return act(c, `Checking ${task.id}.`, [...unread.map((f) => call('read', { file_path: f })), ...(tested ? [] : [call('bash', { command: testCommand, timeout_ms: 120_000 })])]);
  }
  const target = ctx.target ?? 'T1';
  const rejected = ctx.scenario === 'validator-rejects' && (task.id === `${target}-V` || task.id.startsWith(`${target}-F`));
  const ok = !rejected && !!tested.result && !tested.result.isError;
  // Which messages this validator has seen, in the order they reached it (evidence for the tests).
  const seen = [...c.userTexts.map((u) => u.text), ...c.calls.map((x) => x.result?.text ?? '')].join('\n').match(/^#\d+ from [a-z0-9-]+/gm) ?? [];
  return act(c, undefined, [call('complete_task', { id: task.id, ok, summary: `${ok ? 'Tests green' : 'Tests red'}; read ${task.files.join(', ') || 'nothing'}. Mail seen: ${seen.join('; ') || 'none'}.` })]);
}

export function teammateTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const name = c.card.fields['name'] ?? 'teammate';
  const role = c.card.fields['team_role'] ?? 'builder';
  const testCommand = c.card.testCommand ?? 'node --test';
  const validator = /([a-z0-9-]+) \(validator\)/.exec(c.card.fields['teammates'] ?? '')?.[1];
  const wake = c.userTexts.filter((u) => u.text.includes('<wake>')).at(-1);
  if (!wake) return finish('Waiting for work.');
  const calls = callsAfter(c, wake.messageIndex - 1).filter((x) => x.messageIndex > wake.messageIndex);
  const completed = calls.find((x) => x.name === 'complete_task');
  if (completed?.result && !completed.result.isError) {
    // Scenario greedy-teammate: a builder that goes on to claim the next task in the same turn.
    const again = calls.find((x) => x.name === 'claim_task' && x.messageIndex > completed.messageIndex);
    if (ctx.scenario === 'greedy-teammate' && role === 'builder' && !again) return act(c, 'Taking the next task.', [call('claim_task', {})]);
    return finish(`Finished ${String(completed.input['id'])}.${again?.result?.isError ? ` The next claim was refused: ${again.result.text.slice(0, 160)}` : ''}`);
  }
  if (completed?.result?.isError) return finish(`complete_task refused: ${completed.result.text.slice(0, 200)}`);
  const heldText = /held_task:\n([\s\S]*?)\n<\/wake>/.exec(wake.text)?.[1];
  const claims = calls.filter((x) => x.name === 'claim_task');
  const claimed = claims.find((x) => x.result && !x.result.isError);
  const task = parseTaskText(heldText ?? claimed?.result?.text ?? '');
  if (!task) {
    const listed = [...wake.text.matchAll(/^- (\S+) \(/gm)].map((m) => m[1]!);
    const next = listed.find((id) => !claims.some((x) => x.input['id'] === id));
    if (!next) return finish('Nothing I can claim right now.');
    return act(c, undefined, [call('claim_task', { id: next })]);
  }
  return role === 'validator' ? validatorWork(ctx, calls, task, testCommand) : builderWork(ctx, calls, task, name, validator, testCommand);
}
