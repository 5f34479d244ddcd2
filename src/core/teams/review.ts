/**
 * Code review with acceptance of every item (T3). A read-only reviewer returns structured findings;
 * the engine processes each: Critical and High are always fixed (they block the merge); Medium and
 * Low are fixed unless judged hallucinated or cosmetic. The judgement needs a model only when code
 * cannot decide: a finding citing a file that does not exist, or a line past its end, is
 * hallucinated by inspection; otherwise a judge gets a fresh context of the finding and the cited
 * lines only (its size is the orchestrator's context figure).
 */
import { z } from 'zod';
import { runAgent } from '../agents/runAgent';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { fileTools, limitsNote, resultTool, toolNames, type ResultSlot, type ToolObserver } from '../agents/tools';
import { agentShellEnv } from '../agents/env';
import { readAgentFile } from '../agents/agentFiles';
import { relativePathProblem } from '../contracts/names';
import { loadTemplate, renderPrompt } from '../prompts';
import { diffRange, discardUncommitted, headCommit } from '../git';
import { git } from '../git/run';
import { contextBytes } from '../plans/context';
import { agentLimitsFor } from '../config';
import type { ModelSession } from '../plans/session';
import { REVIEW_SEVERITIES, nn, type ReviewItem } from './state';

export const FindingSchema = z.object({
  severity: z.enum(REVIEW_SEVERITIES),
  file: z.string().min(1).max(300),
  line: z.number().int().min(0),
  text: z.string().min(1).max(1000),
});
export type Finding = z.infer<typeof FindingSchema>;
const ReviewSubmissionSchema = z.object({ summary: z.string().max(2000), findings: z.array(FindingSchema).max(30) });
export type ReviewSubmission = z.infer<typeof ReviewSubmissionSchema>;

/** The reviewers' result tool (a phase's code review here, the plan review in plans/review.ts). */
export function submitReviewTool(slot: ResultSlot<ReviewSubmission>, what: string, observe: ToolObserver): BetaRunnableTool {
  return resultTool(
    {
      name: 'submit_review',
      description: `Submit the ${what} once: a short summary and every finding (severity, file, line, text).`,
      inputSchema: ReviewSubmissionSchema,
      slot,
      recorded: (input) => `recorded ${input.findings.length} finding(s)`,
    },
    observe,
  );
}
const JudgementSchema = z.object({ judgement: z.enum(['valid', 'hallucinated', 'cosmetic']), reason: z.string().min(1).max(400) });
export type Judgement = z.infer<typeof JudgementSchema>;

const DIFF_BYTES = 12_000;
const EXCERPT_LINES = 10;
/** What a whole-file finding (line 0) shows the judge: the file's start, this many lines and characters at most. */
const WHOLE_FILE_LINES = 400;
const WHOLE_FILE_CHARS = 16_000;

export interface ReviewRequest {
  phase: number;
  phaseTitle: string;
  phaseGoal: string;
  phaseWt: string;
  baseCommit: string;
  round: number;
}

export async function runCodeReview(session: ModelSession, req: ReviewRequest): Promise<Finding[]> {
  const head = await headCommit(req.phaseWt);
  const changed = await diffRange(req.phaseWt, req.baseCommit, head);
  const diff = await git(req.phaseWt, ['diff', '--no-color', `${req.baseCommit}..${head}`]);
  const agentId = `p${nn(req.phase)}-reviewer-${req.round}`;
  const observe = session.observer(agentId);
  const slot: ResultSlot<ReviewSubmission> = {};
  const submit = submitReviewTool(slot, 'review', observe);
  const tools = [
    ...fileTools(['read', 'glob', 'grep'], { workdir: req.phaseWt, readOnlyRoots: [req.phaseWt], env: agentShellEnv('reviewer'), bashTimeoutMs: session.config.bashTimeoutMs }, observe),
    submit,
  ];
  const limits = agentLimitsFor(session.config, 'qc', 'sonnet');
  const prompt = renderPrompt(loadTemplate('reviewer'), {
    tools: `${toolNames(tools)}. ${limitsNote(tools.map((t) => t.name), limits.maxTokens, session.config.toolResultMaxChars)}`,
    phase: nn(req.phase),
    round: req.round,
    phase_title: req.phaseTitle,
    phase_goal: req.phaseGoal.slice(0, 2000),
    changed_files: changed.map((f) => `${f.status} ${f.path}`).join('\n') || '(none)',
    diff: diff.length > DIFF_BYTES ? `${diff.slice(0, DIFF_BYTES)}\n… (diff cut at ${DIFF_BYTES} bytes; read the files)` : diff,
  });
  await runAgent(
    {
      agentId,
      role: 'code-reviewer',
      stage: `phase-${nn(req.phase)}`,
      tier: 'sonnet',
      model: session.modelFor('sonnet'),
      system: [prompt.system],
      task: prompt.task,
      tools,
      // A read-only reviewer grading work, like QC: QC's limits.
      ...limits,
      isComplete: () => slot.value !== undefined,
      nudge: 'Call submit_review now with your findings (an empty list if there are none).',
    },
    session.runtime(),
  );
  await discardUncommitted(req.phaseWt, head);
  if (!slot.value) throw new Error(`the code reviewer of phase ${nn(req.phase)} ended without submitting a review`);
  return slot.value.findings;
}

export interface JudgedFinding {
  judgement: Judgement;
  by: ReviewItem['judgedBy'];
  /** Bytes of the judge's context, when a model was asked. */
  contextBytes?: number;
}

/**
 * What code alone can tell about a finding: a file that is not there, a line past the end. The
 * cited path is looked up in each root in turn (a plan review cites plan files and code files).
 */
/** What of a cited file is read at most: enough for any source file, not a memory bomb. */
const CITED_FILE_MAX_BYTES = 2 * 1024 * 1024;

export function inspectFinding(roots: readonly string[], f: Finding): { lines: string[] } | Judgement {
  const problem = relativePathProblem(f.file);
  if (problem !== null) return { judgement: 'hallucinated', reason: `the cited path is not a file of the project (${problem})` };
  // The cited path is the reviewer's, and the files are the builders': read as an agent's file (no
  // symlink followed, nothing outside the root, size capped), never a link to the engine's secrets.
  const text = roots.map((r) => readAgentFile(r, f.file, CITED_FILE_MAX_BYTES)).find((t) => t !== undefined);
  if (text === undefined) return { judgement: 'hallucinated', reason: `the cited file ${f.file} does not exist (or is not a regular file inside the project)` };
  const lines = text.split('\n');
  if (f.line > lines.length) return { judgement: 'hallucinated', reason: `line ${f.line} is past the end of ${f.file} (${lines.length} lines)` };
  return { lines };
}

/**
 * The numbered lines the judge sees: around the cited line; for line 0, a finding about the whole file
 * (the reviewer prompt allows it), as much of the file as fits, not the 11 lines around line 1 it was
 * shown before (and then judged any quote from further down "hallucinated").
 */
export function excerptFor(lines: readonly string[], line: number): { from: number; to: number; excerpt: string } {
  const whole = line === 0;
  const from = whole ? 1 : Math.max(1, line - EXCERPT_LINES);
  const to = Math.min(lines.length, whole ? WHOLE_FILE_LINES : line + EXCERPT_LINES);
  const excerpt = lines
    .slice(from - 1, to)
    .map((l, i) => `${from + i}: ${l}`)
    .join('\n')
    .slice(0, whole ? WHOLE_FILE_CHARS : 3000);
  return { from, to, excerpt };
}

export async function judgeFinding(session: ModelSession, roots: readonly string[], f: Finding, label: string): Promise<JudgedFinding> {
  const inspected = inspectFinding(roots, f);
  if (!('lines' in inspected)) return { judgement: inspected, by: 'engine' };
  const { from, to, excerpt } = excerptFor(inspected.lines, f.line);
  const slot: ResultSlot<Judgement> = {};
  const tool = resultTool(
    {
      name: 'submit_judgement',
      description: 'Submit your judgement of the finding once.',
      inputSchema: JudgementSchema,
      slot,
      recorded: (input) => `recorded: ${input.judgement}`,
    },
    session.observer(label),
  );
  const prompt = renderPrompt(loadTemplate('judge'), {
    tools: toolNames([tool]),
    severity: f.severity,
    file: f.file,
    line: f.line,
    text: f.text,
    from_line: from,
    to_line: to,
    excerpt,
  });
  const result = await runAgent(
    {
      agentId: label,
      role: 'review-judge',
      stage: 'review',
      tier: 'haiku',
      model: session.modelFor('haiku'),
      system: [prompt.system],
      task: prompt.task,
      tools: [tool],
      maxTurns: 3,
      maxTokens: 1000,
      isComplete: () => slot.value !== undefined,
      nudge: 'Call submit_judgement now.',
    },
    session.runtime(),
  );
  const bytes = contextBytes([prompt.system], result.messages);
  // No judgement is no licence to skip the item: it is treated as valid and fixed.
  return { judgement: slot.value ?? { judgement: 'valid', reason: 'the judge gave no judgement; the item is fixed' }, by: 'judge', contextBytes: bytes };
}

export function reviewFileText(heading: string, items: readonly ReviewItem[], rounds: number, firstPassed: boolean | undefined): string {
  const lines = [
    `# ${heading}`,
    '',
    `Rounds: ${rounds}. First review passed (no Critical or High): ${firstPassed === undefined ? 'n/a' : firstPassed ? 'yes' : 'no'}.`,
    '',
    '| round | severity | file:line | finding | processing | reason |',
    '|---|---|---|---|---|---|',
    ...items.map((i) => `| ${i.round} | ${i.severity} | ${i.file}:${i.line} | ${cell(i.text)} | ${i.processing} (${i.judgedBy}) | ${cell(i.reason)} |`),
    '',
    items.length === 0 ? 'No findings.' : '',
    '<!-- DONE -->',
    '',
  ];
  return lines.join('\n');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 300);
}
