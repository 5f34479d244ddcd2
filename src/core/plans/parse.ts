/**
 * Reading a plan folder from disk. Everything in it is untrusted (a model or a person wrote it), so
 * reading never throws on content: it returns the plan it could read plus a list of problems, each
 * naming its file, which the planner's repair rounds and the CLI show as they are.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MAX_PHASE_BYTES,
  MAX_PHASES,
  MAX_PLAN_MD_BYTES,
  PHASE_FILE_PATTERN,
  PhaseHeaderSchema,
  type Plan,
  type PlanPhase,
  type PlanProblem,
} from './schema';

export interface ReadPlanResult {
  plan?: Plan;
  problems: PlanProblem[];
}

/** Splits `---\n{json}\n---\nbody`; null when the file does not start with a header. */
export function splitHeader(text: string): { header: string; body: string } | null {
  const m = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text.replace(/^\uFEFF/, ''));
  if (!m) return null;
  return { header: m[1]!, body: text.replace(/^\uFEFF/, '').slice(m[0].length) };
}

function sha256(parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** Headings plan.md must have; matched case-insensitively at level 2. */
export const PLAN_MD_SECTIONS = ['Summary', 'Phases', 'Decisions', 'Success metrics'] as const;

function checkPlanMd(text: string, phaseFiles: string[]): PlanProblem[] {
  const problems: PlanProblem[] = [];
  if (!/^#\s+\S/m.test(text)) problems.push({ kind: 'format', file: 'plan.md', message: 'has no "# Title" heading' });
  for (const section of PLAN_MD_SECTIONS) {
    const re = new RegExp(`^##\\s+${section.replace(' ', '\\s+')}\\b`, 'im');
    if (!re.test(text)) problems.push({ kind: 'format', file: 'plan.md', message: `has no "## ${section}" section` });
  }
  const linked = new Set([...text.matchAll(/phase-\d{2}-[a-z0-9-]+\.md/g)].map((m) => m[0]));
  for (const f of phaseFiles) {
    if (!linked.has(f)) problems.push({ kind: 'format', file: 'plan.md', message: `its phase table does not list ${f}` });
  }
  for (const f of linked) {
    if (!phaseFiles.includes(f)) problems.push({ kind: 'missing-phase', file: 'plan.md', message: `lists ${f}, which does not exist` });
  }
  return problems;
}

function parsePhase(dir: string, file: string, number: number, slug: string, problems: PlanProblem[]): PlanPhase | undefined {
  const full = path.join(dir, file);
  const stat = fs.lstatSync(full);
  if (!stat.isFile()) {
    problems.push({ kind: 'format', file, message: 'is not a regular file' });
    return undefined;
  }
  if (stat.size > MAX_PHASE_BYTES) {
    problems.push({ kind: 'size', file, message: `is ${stat.size} bytes; a phase document is at most ${MAX_PHASE_BYTES} bytes (15 KB): split the phase` });
  }
  const text = fs.readFileSync(full, 'utf8');
  const split = splitHeader(text);
  if (!split) {
    problems.push({ kind: 'format', file, message: 'does not start with a header: a JSON object between two "---" lines' });
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(split.header);
  } catch (e) {
    problems.push({ kind: 'format', file, message: `its header is not valid JSON (${(e as Error).message})` });
    return undefined;
  }
  const parsed = PhaseHeaderSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 8)) {
      problems.push({ kind: 'format', file, message: `header ${issue.path.join('.') || '(root)'}: ${issue.message}` });
    }
    return undefined;
  }
  const header = parsed.data;
  if (header.phase !== number) problems.push({ kind: 'numbering', file, message: `header says phase ${header.phase}, the file name says ${number}` });
  const ids = header.tasks.map((t) => t.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push({ kind: 'task', file, message: `task id ${id} is used twice` });
  for (const t of header.tasks) {
    for (const d of t.depends_on) {
      if (!ids.includes(d)) problems.push({ kind: 'task', file, message: `task ${t.id} depends on ${d}, which is not a task of this phase` });
      if (d === t.id) problems.push({ kind: 'task', file, message: `task ${t.id} depends on itself` });
    }
  }
  return { number, slug, file, header, body: split.body, bytes: stat.size };
}

export function readPlan(dir: string): ReadPlanResult {
  const problems: PlanProblem[] = [];
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { problems: [{ kind: 'format', file: dir, message: 'is not a plan folder' }] };
  }
  const planMdPath = path.join(dir, 'plan.md');
  if (!fs.existsSync(planMdPath)) return { problems: [{ kind: 'format', file: 'plan.md', message: 'is missing' }] };
  const planMd = fs.readFileSync(planMdPath, 'utf8');
  if (Buffer.byteLength(planMd) > MAX_PLAN_MD_BYTES) problems.push({ kind: 'size', file: 'plan.md', message: `is larger than ${MAX_PLAN_MD_BYTES} bytes` });

  const names = fs.readdirSync(dir).sort();
  const phases: PlanPhase[] = [];
  const phaseFiles: string[] = [];
  for (const name of names) {
    if (!name.startsWith('phase-')) continue;
    const m = PHASE_FILE_PATTERN.exec(name);
    if (!m) {
      problems.push({ kind: 'numbering', file: name, message: 'is not named phase-NN-slug.md (two digits, lowercase slug; no sub-phases such as 01a)' });
      continue;
    }
    phaseFiles.push(name);
    const phase = parsePhase(dir, name, Number(m[1]), m[2]!, problems);
    if (phase) phases.push(phase);
  }
  if (phaseFiles.length === 0) problems.push({ kind: 'format', file: 'plan.md', message: 'the folder has no phase-NN-slug.md files' });
  if (phaseFiles.length > MAX_PHASES) problems.push({ kind: 'size', file: 'plan.md', message: `has ${phaseFiles.length} phases; at most ${MAX_PHASES}` });
  const numbers = phaseFiles.map((f) => Number(PHASE_FILE_PATTERN.exec(f)![1]));
  numbers.forEach((n, i) => {
    if (n !== i + 1) problems.push({ kind: 'numbering', file: phaseFiles[i]!, message: `phase numbers must run 01, 02, … without gaps or repeats; expected ${String(i + 1).padStart(2, '0')}` });
  });
  problems.push(...checkPlanMd(planMd, phaseFiles));

  const title = /^#\s+(.+)$/m.exec(planMd)?.[1]?.trim() ?? path.basename(dir);
  const hash = sha256([planMd, ...phaseFiles.flatMap((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')])]);
  return { plan: { dir, title, planMd, phases, hash }, problems };
}
