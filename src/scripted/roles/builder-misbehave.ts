/**
 * Builders that misbehave the way real models do, each a scenario for the target module's first
 * build: `huge-read` makes and reads a 5 MB file (the engine must cap what comes back), `endless`
 * keeps listing files and never finishes (the turn limit must end it cleanly), `long-history` reads
 * so much command output before writing any code that its conversation would overflow a small
 * context window (the engine must clear old results so it still finishes).
 */
import type { ScriptedReply } from '../api-types';
import type { ToolCall } from '../conversation';
import { act, call } from '../reply';
import type { BuilderSetup } from './builder-setup';
import type { RoleContext } from './context';

export const BIG_FILE = 'big-output.log';
/** `seq 1 750000` prints about 5.1 MB. */
const MAKE_BIG_FILE = `seq 1 750000 > ${BIG_FILE}`;
export const LONG_HISTORY_READS = 24;

const bashRan = (calls: ToolCall[], command: string) => calls.some((x) => x.name === 'bash' && x.input['command'] === command);

/** The detour the scenario takes before the normal build, or undefined once it is over (or not this scenario). */
export function misbehaviour(ctx: RoleContext, s: BuilderSetup, calls: ToolCall[]): ScriptedReply | undefined {
  if (!s.isTarget || s.fixCycle > 0 || !ctx.c.tools.has('bash')) return undefined;
  switch (ctx.scenario) {
    case 'huge-read':
      return hugeRead(ctx, calls);
    case 'endless':
      return act(ctx.c, 'Checking the folder once more before I start.', [call('bash', { command: `ls -la ${s.moduleDir} # look ${calls.length}` })]);
    case 'long-history':
      return longHistory(ctx, calls);
    default:
      return undefined;
  }
}

function hugeRead(ctx: RoleContext, calls: ToolCall[]): ScriptedReply | undefined {
  if (!bashRan(calls, MAKE_BIG_FILE)) return act(ctx.c, 'Generating a large log to study.', [call('bash', { command: MAKE_BIG_FILE })]);
  const reads = calls.filter((x) => x.name === 'read' && x.input['file_path'] === BIG_FILE);
  // First the whole file (the read tool refuses more than 256 KB), then as many lines as it allows, then the shell.
  if (reads.length === 0) return act(ctx.c, 'Reading the whole log.', [call('read', { file_path: BIG_FILE })]);
  if (reads.length === 1) return act(ctx.c, 'Too big at once; reading the first 35000 lines.', [call('read', { file_path: BIG_FILE, view_range: [1, 35000] })]);
  const dump = `cat ${BIG_FILE}`;
  if (!bashRan(calls, dump)) return act(ctx.c, 'And the whole of it through the shell.', [call('bash', { command: dump })]);
  const cleanup = `rm -f ${BIG_FILE}`;
  if (!bashRan(calls, cleanup)) return act(ctx.c, 'Enough of the log; removing it.', [call('bash', { command: cleanup })]);
  return undefined;
}

function longHistory(ctx: RoleContext, calls: ToolCall[]): ScriptedReply | undefined {
  const done = calls.filter((x) => x.name === 'bash' && String(x.input['command']).startsWith('seq ')).length;
  if (done >= LONG_HISTORY_READS) return undefined;
  const from = 100_000 + done * 10_000;
  return act(ctx.c, `Studying sample data, part ${done + 1} of ${LONG_HISTORY_READS}.`, [call('bash', { command: `seq ${from} ${from + 2500}` })]);
}
