/**
 * The tools each role gets, built on the SDK's agent toolset (file tools confined to the worktree,
 * symlink-aware, read-only roots refused) plus our own narrower write policy and zod-typed tools
 * for structured results. Every call and result is reported to the journal through `observe`.
 */
import * as path from 'node:path';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import type { z } from 'zod';
import { betaAgentToolset20260401, resolvePath, type AgentToolContext } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import { BuilderOutcomeSchema, QcVerdictSchema, type BuilderOutcome, type QcVerdict } from '../contracts/schemas';
import { validateModuleName } from '../contracts/names';
import { isPausableShell, type PausableShell } from '../sandbox/bashTool';
import { isWarmable } from './warmTools';
import { withCommandAhead } from './commandAhead';

export type ToolName = 'bash' | 'read' | 'write' | 'edit' | 'glob' | 'grep';

/**
 * The file and shell tools each role gets, as the seeds allow them: the architect has no edit tool,
 * QC can only read and run (no write, no edit). Result tools (report_outcome, submit_verdict) come on top.
 */
export const ROLE_TOOLS = {
  architect: ['bash', 'read', 'write', 'glob', 'grep'],
  scaffold: ['bash', 'read', 'write', 'edit', 'glob', 'grep'],
  builder: ['bash', 'read', 'write', 'edit', 'glob', 'grep'],
  qc: ['bash', 'read', 'glob', 'grep'],
} as const satisfies Record<string, readonly ToolName[]>;

export interface ToolObserver {
  call(tool: string, input: unknown): void;
  result(tool: string, isError: boolean, output: string): void;
}

export interface FileToolPolicy {
  workdir: string;
  readOnlyRoots: string[];
  /**
   * Where write/edit may land, as paths relative to the workdir: a folder ends with '/', anything
   * else is an exact file; `*` in the last segment matches within it. Undefined = anywhere allowed
   * by the SDK's own confinement.
   */
  writable?: string[];
  env: Record<string, string>;
  bashTimeoutMs: number;
  /** Sandbox hook (src/core/sandbox): gives the SDK's bash tool a body that runs in the run's sandbox. */
  confineShell?: (sdkBash: BetaRunnableTool) => BetaRunnableTool;
  /** A command the agent is told to run first (QC's test command): started in its shell as the agent starts (commandAhead.ts). */
  commandAhead?: string;
}

/** The SDK toolset, restricted to `names`, with write policy, bash timeout cap and observation. */
export function fileTools(names: readonly ToolName[], policy: FileToolPolicy, observe: ToolObserver): BetaRunnableTool[] {
  const ctx: AgentToolContext = { workdir: policy.workdir, readOnlyRoots: policy.readOnlyRoots, env: policy.env };
  const wanted = new Set<string>(names);
  const writes = serialQueue();
  const toolset = betaAgentToolset20260401(ctx).filter((t) => wanted.has(t.name));
  const sdkBash = toolset.find((t) => t.name === 'bash');
  const bash = sdkBash && policy.confineShell ? policy.confineShell(sdkBash) : sdkBash;
  // The file tools check a path and then open it by name, from outside the sandbox: the agent's own
  // processes are held still meanwhile, so none can swap a folder on the path for a symlink (freeze.ts).
  // Only a shell that may write in the worktree is pausable: a read-only one cannot make that swap.
  const pause = isPausableShell(bash) ? bash.pauseWhile : undefined;
  return toolset.map((t) => {
    let tool = t;
    if ((t.name === 'write' || t.name === 'edit') && policy.writable) tool = withWritePolicy(t, ctx, policy.writable, policy.readOnlyRoots);
    if (t.name === 'write' || t.name === 'edit') tool = serialized(withoutGitFiles(tool, ctx), writes);
    if (t.name === 'bash') tool = withBashTimeoutCap(bash!, policy.bashTimeoutMs);
    if (t.name === 'bash' && policy.commandAhead) tool = withCommandAhead(tool, policy.commandAhead, policy.bashTimeoutMs);
    if (t.name === 'glob') tool = withPatternLimit(tool);
    if (pause && t.name !== 'bash') tool = whilePaused(tool, pause);
    return observed(tool, observe);
  });
}

/** Tools gated on a set-up (afterwards), and the signal that stops their agent when the set-up fails. */
export interface ToolsAfterSetUp {
  tools: BetaRunnableTool[];
  /**
   * Aborted with the set-up's own error when it fails, so the agent is stopped at once instead of
   * going on, paying for model calls, with tools that can only fail (runRoleAgent's `stopOn`).
   */
  stopOn: AbortSignal;
}

/**
 * The tools, each run only once `ready` has settled: set-up the engine makes while the agent's first
 * model call is under way (a rejection fails the call with its error, and the caller's own wait for
 * it reports it too). A warmable tool (a sandboxed shell) is also started only then, so nothing of
 * these tools touches the worktree before the set-up has looked at it. The stop signal comes with
 * them, so an agent's tools and its stop always wait for the same set-up.
 */
export function afterwards(ready: Promise<unknown>, tools: readonly BetaRunnableTool[]): ToolsAfterSetUp {
  const gatedTools = tools.map((tool) => {
    const gated: BetaRunnableTool = { ...tool, run: async (input, context) => (await ready, tool.run(input, context)) };
    if (isWarmable(tool)) {
      // Closed before the set-up was done (the agent's first call failed): its shell is not started then.
      let closed = false;
      Object.assign(gated, {
        warm: () =>
          void ready.then(
            () => {
              try {
                if (!closed) tool.warm();
              } catch {
                // As warmTools: a failed start is reported by the tool's first call.
              }
            },
            () => undefined,
          ),
        close: () => ((closed = true), tool.close?.()),
      });
    }
    return gated;
  });
  const stop = new AbortController();
  ready.catch((e: unknown) => stop.abort(e));
  return { tools: gatedTools, stopOn: stop.signal };
}

function whilePaused(tool: BetaRunnableTool, pause: PausableShell['pauseWhile']): BetaRunnableTool {
  return { ...tool, run: (input, context) => pause(async () => tool.run(input, context)) };
}

/**
 * The tool runner starts a turn's tool calls together. Two writes into a folder that does not exist
 * yet then race inside the SDK's path check (one sees the folder vanish between realpath and lstat
 * and fails with ENOENT), and two edits of one file can lose an update; so one agent's writes and
 * edits run one after another, in the order the model wrote them.
 */
type SerialQueue = <T>(work: () => Promise<T>) => Promise<T>;

function serialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

function serialized(tool: BetaRunnableTool, queue: SerialQueue): BetaRunnableTool {
  return { ...tool, run: (input, context) => queue(async () => tool.run(input, context)) };
}

/**
 * No agent writes git's own files, whatever else it may change: a worktree's `.git` file names the
 * git directory the engine's git commands use, outside the sandbox (commit, merge, reset). An agent
 * that could point it at a git directory of its own making (with a config that defines a clean
 * filter) would have the engine run its command at the next commit. The sandboxed shell is denied
 * the same paths (sandbox/gitPaths.ts). Any path segment `.git` is refused, so a nested repository
 * cannot be planted either; the check is on the resolved path, so a symlink to `.git` is refused too.
 */
function withoutGitFiles(tool: BetaRunnableTool, ctx: AgentToolContext): BetaRunnableTool {
  return {
    ...tool,
    run: async (input: { file_path?: unknown }, context) => {
      const requested = typeof input?.file_path === 'string' ? input.file_path : '';
      // Only the part below the agent's folder counts: that folder may itself lie under a `.git` (the
      // run directory, where audit workers write their findings). Both as written and resolved (symlinks
      // followed): a link named `x` that points at `.git` counts.
      const root = await resolvePath(ctx, '.');
      const resolved = await resolvePath(ctx, requested).catch(() => undefined);
      const named = [path.relative(path.resolve(ctx.workdir), path.resolve(ctx.workdir, requested)), resolved === undefined ? '' : path.relative(root, resolved)];
      if (named.some(touchesGitFiles)) {
        throw new ToolError(`${tool.name}: ${requested} is one of git's own files (a .git file or folder); agents never change those, the engine commits for you`);
      }
      return tool.run(input, context);
    },
  };
}

/** Whether a path (relative or absolute, either separator) has a segment `.git`, in any letter case (case-insensitive file systems). */
export function touchesGitFiles(p: string): boolean {
  return p.split(/[\\/]+/).some((segment) => segment.toLowerCase() === '.git');
}

function withWritePolicy(tool: BetaRunnableTool, ctx: AgentToolContext, writable: string[], readOnlyRoots: string[]): BetaRunnableTool {
  return {
    ...tool,
    run: async (input: { file_path?: unknown }, context) => {
      const requested = typeof input?.file_path === 'string' ? input.file_path : '';
      // Canonical (symlinks resolved) target inside the worktree; throws a ToolError when outside.
      const abs = await resolvePath(ctx, requested);
      const root = await resolvePath(ctx, '.');
      const rel = path.relative(root, abs).split(path.sep).join('/');
      // Name the stronger reason first: a read-only root (the contracts) says more than "not yours".
      for (const ro of readOnlyRoots) {
        const roRel = path.relative(root, await resolvePath(ctx, ro).catch(() => ro)).split(path.sep).join('/');
        if (rel === roRel || rel.startsWith(`${roRel}/`)) {
          const where = rel === roRel ? `is read-only (${roRel})` : `is inside read-only directory ${roRel}`;
          throw new ToolError(`${tool.name}: ${requested} ${where}; contracts cannot be changed by this agent`);
        }
      }
      if (!isWritable(rel, writable)) {
        throw new ToolError(
          `${tool.name}: ${requested} is outside the paths this agent may change (${writable.join(', ')}); the write was refused`,
        );
      }
      return tool.run(input, context);
    },
  };
}

// Whether `rel` is among `writable`: `dir/` is everything under dir; `dir/*.md` the names matching
// in dir itself; `dir/**/*.md` the names matching in dir at any depth; anything else one file.
// (Line comments: the any-depth pattern would end a block comment.)
export function isWritable(rel: string, writable: readonly string[]): boolean {
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return writable.some((w) => {
    if (w.endsWith('/')) return rel.startsWith(w);
    if (w.includes('*')) {
      const [dir, pattern] = [w.slice(0, w.lastIndexOf('/') + 1), w.slice(w.lastIndexOf('/') + 1)];
      const anyDepth = dir.endsWith('/**/');
      const root = anyDepth ? dir.slice(0, -'**/'.length) : dir;
      const rest = rel.slice(root.length);
      if (!rel.startsWith(root) || (!anyDepth && rest.includes('/'))) return false;
      const re = new RegExp('^' + pattern.split('*').map(escapeRe).join('[^/]*') + '$');
      return re.test(path.posix.basename(rest));
    }
    return rel === w;
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The most patterns a glob's braces may expand to. Node's glob expands braces up front, all at once on
 * the event loop: `{a,b}` fifteen times over (2^15 patterns) held the engine, every agent and every
 * API stream with it, for five seconds, and each further pair doubles that.
 */
export const MAX_GLOB_EXPANSION = 256;

/** How many patterns the braces of `pattern` expand to (a nested group counts its own alternatives, as the shell expands them). */
export function braceExpansionCount(pattern: string): number {
  let count = 1;
  let i = 0;
  const group = (): number => {
    // At the character after '{': alternatives separated by top-level commas, up to the matching '}'.
    let alternatives = 0;
    let current = 1;
    for (; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '\\') {
        i++;
      } else if (c === '{') {
        i++;
        current *= group();
      } else if (c === ',') {
        alternatives += current;
        current = 1;
      } else if (c === '}') {
        return Math.max(1, alternatives + current);
      }
      if (alternatives + current > 1e9) return 1e9;
    }
    return 1; // unclosed: literal
  };
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '{') {
      i++;
      count *= group();
      if (count > 1e9) return 1e9;
    }
  }
  return count;
}

function withPatternLimit(tool: BetaRunnableTool): BetaRunnableTool {
  return {
    ...tool,
    run: (input: { pattern?: unknown }, context) => {
      const pattern = typeof input?.pattern === 'string' ? input.pattern : '';
      if (braceExpansionCount(pattern) > MAX_GLOB_EXPANSION) {
        throw new ToolError(`glob: the braces in ${JSON.stringify(pattern.slice(0, 200))} expand to more than ${MAX_GLOB_EXPANSION} patterns; use fewer alternatives or several calls`);
      }
      return tool.run(input, context);
    },
  };
}

function withBashTimeoutCap(tool: BetaRunnableTool, capMs: number): BetaRunnableTool {
  return {
    ...tool,
    run: (input: { timeout_ms?: number }, context) => {
      const timeout = Math.min(typeof input?.timeout_ms === 'number' && input.timeout_ms > 0 ? input.timeout_ms : capMs, capMs);
      return tool.run({ ...input, timeout_ms: timeout }, context);
    },
  };
}

/** Every call and result of `tool` reported to the journal (exported for MCP tools, src/core/mcp). */
export function observed(tool: BetaRunnableTool, observe: ToolObserver): BetaRunnableTool {
  return {
    ...tool,
    parse: (content: unknown) => {
      try {
        return tool.parse ? tool.parse(content) : content;
      } catch (e) {
        observe.call(tool.name, content);
        observe.result(tool.name, true, `invalid input: ${(e as Error).message}`);
        throw e;
      }
    },
    run: async (input: unknown, context) => {
      observe.call(tool.name, input);
      try {
        const out = await tool.run(input, context);
        observe.result(tool.name, false, typeof out === 'string' ? out : JSON.stringify(out));
        return out;
      } catch (e) {
        observe.result(tool.name, true, errorText(e));
        throw e;
      }
    },
  };
}

/** A failed call's text as the model reads it: a ToolError's own text (blocks as JSON), else the message. */
function errorText(e: unknown): string {
  if (e instanceof ToolError) return typeof e.content === 'string' ? e.content : JSON.stringify(e.content);
  return String((e as Error)?.message ?? e);
}

/** A slot the engine reads after the agent ends: what the agent reported through its result tool. */
export interface ResultSlot<T> {
  value?: T;
}

export interface ResultToolSpec<S extends z.ZodType> {
  name: string;
  description: string;
  inputSchema: S;
  slot: ResultSlot<z.infer<S>>;
  /** Refuses an input the schema accepts but the engine does not (throw a ToolError the model reads). */
  check?: (input: z.infer<S>) => void;
  /** What the model reads back once its input is recorded. */
  recorded: (input: z.infer<S>) => string;
}

/**
 * The tool an agent hands its result to: validated by its schema and `check`, kept in the slot for
 * the engine to read after the agent ends, and journaled like every other call.
 */
export function resultTool<S extends z.ZodType>(spec: ResultToolSpec<S>, observe: ToolObserver): BetaRunnableTool {
  const tool = betaZodTool({
    name: spec.name,
    description: spec.description,
    inputSchema: spec.inputSchema,
    run: (input: z.infer<S>) => {
      spec.check?.(input);
      spec.slot.value = input;
      return spec.recorded(input);
    },
  });
  return observed(tool as unknown as BetaRunnableTool, observe);
}

export function reportOutcomeTool(slot: ResultSlot<BuilderOutcome>, observe: ToolObserver): BetaRunnableTool {
  return resultTool(
    {
      name: 'report_outcome',
      description:
        'Report how your build ended: status "done" when the module is implemented and its tests pass (the engine commits your work); ' +
        '"blocked" when the contract cannot be honoured, including a package the module needs that modules.json does not list for it ' +
        '(give conflict_issue, a short lowercase slug, and conflict_details).',
      inputSchema: BuilderOutcomeSchema,
      slot,
      check: (outcome) => {
        if (outcome.status !== 'blocked') return;
        const why = outcome.conflict_issue ? validateModuleName(outcome.conflict_issue) : 'conflict_issue is required when blocked';
        if (why) throw new ToolError(`report_outcome: conflict_issue ${why}`);
      },
      recorded: (outcome) => `recorded: ${outcome.status}`,
    },
    observe,
  );
}

export function submitVerdictTool(slot: ResultSlot<QcVerdict>, observe: ToolObserver): BetaRunnableTool {
  return resultTool(
    {
      name: 'submit_verdict',
      description:
        'Submit your QC verdict once: PASS, FAIL-MAJOR or FAIL-CRITICAL, a short summary, whether tests ran and passed, ' +
        'and every finding with severity, file, line and text. MAJOR: what the builder can fix inside the module in a fix cycle ' +
        '(failing tests, a contract mismatch, missing error handling; a contract that cannot be met as written is MAJOR too, with a ' +
        'finding telling the builder to report a contract conflict). CRITICAL: only what must not wait for a fix cycle (a security ' +
        'hole, data loss); it halts the whole run. The verdict may not be milder than its worst finding.',
      inputSchema: QcVerdictSchema,
      slot,
      check: (verdict) => {
        const worst = verdict.findings.some((f) => f.severity === 'CRITICAL')
          ? 'FAIL-CRITICAL'
          : verdict.findings.some((f) => f.severity === 'MAJOR')
            ? 'FAIL-MAJOR'
            : 'PASS';
        // A verdict milder than its own findings is self-contradictory; ask for a consistent one.
        const rank = { PASS: 0, 'FAIL-MAJOR': 1, 'FAIL-CRITICAL': 2 } as const;
        if (rank[verdict.verdict] < rank[worst]) {
          throw new ToolError(`submit_verdict: verdict ${verdict.verdict} contradicts a ${worst.replace('FAIL-', '')} finding; resubmit`);
        }
      },
      recorded: (verdict) => `recorded: ${verdict.verdict}`,
    },
    observe,
  );
}

export function toolNames(tools: readonly BetaRunnableTool[]): string {
  return tools.map((t) => t.name).join(', ');
}

/**
 * The limits the engine enforces on every agent, said where the prompts list the tools (so the
 * prompt files need no copy of numbers that are settings): the reply size and the tool-result cap.
 * Every role's tool line carries it: the pipeline's roles, audit agents and teammates.
 */
export function limitsNote(names: readonly string[], maxTokens: number, toolResultMaxChars: number): string {
  const writeLong = names.includes('edit')
    ? 'write a long file in parts (`write` a first part, then `edit` to add the rest) rather than in one call'
    : names.includes('write')
      ? 'keep each file you write well within that, one file per call'
      : 'keep each reply well within that';
  return (
    `A reply of yours is limited to ${maxTokens} tokens: ${writeLong}. ` +
    `A tool result longer than ${toolResultMaxChars} characters comes back cut, with a note: read big files in pieces (\`read\` with \`view_range\`) and narrow noisy commands (\`| tail -n 100\`, \`grep\`)`
  );
}
