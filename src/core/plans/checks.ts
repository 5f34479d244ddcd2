/**
 * The deterministic half of the flow audit (SPEC T2): what code can decide without a model.
 * - a dependency cycle between phases (no order can satisfy it);
 * - a dependency on a phase that does not exist;
 * - a phase numbered before a phase it depends on (the plan reads in an order it cannot run in);
 * - a cited file that exists neither in the repository nor among the files earlier phases create
 *   (a stale reference: the plan was written against code that has moved on).
 * The "plan changed since its last audit" check lives with the stored audit (audit.ts).
 */
import { git } from '../git/run';
import type { Plan, PlanPhase, PlanProblem } from './schema';

/** The files of the repository at a commit (default HEAD), for grounding references. */
export async function repoFilesAt(repoRoot: string, revision = 'HEAD'): Promise<Set<string>> {
  const out = await git(repoRoot, ['ls-tree', '-r', '-z', '--name-only', revision]);
  return new Set(out.split('\0').filter(Boolean));
}

function existsIn(files: ReadonlySet<string>, ref: string): boolean {
  const clean = ref.replace(/^\.\//, '').replace(/\/+$/, '');
  if (files.has(clean)) return true;
  for (const f of files) if (f.startsWith(`${clean}/`)) return true;
  return false;
}

/** Phases that `phase` depends on, directly or through others (those that exist). */
function ancestors(phase: PlanPhase, byNumber: Map<number, PlanPhase>): Set<number> {
  const seen = new Set<number>();
  const stack = [...phase.header.depends_on];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(byNumber.get(n)?.header.depends_on ?? []));
  }
  return seen;
}

/** One cycle per strongly connected group, named by its phase numbers in order. */
export function findCycles(phases: readonly PlanPhase[]): number[][] {
  const byNumber = new Map(phases.map((p) => [p.number, p]));
  const cycles: number[][] = [];
  const reported = new Set<number>();
  for (const p of phases) {
    if (reported.has(p.number) || !ancestors(p, byNumber).has(p.number)) continue;
    const members = phases.filter((q) => ancestors(q, byNumber).has(p.number) && ancestors(p, byNumber).has(q.number)).map((q) => q.number);
    members.forEach((m) => reported.add(m));
    cycles.push(members.sort((a, b) => a - b));
  }
  return cycles;
}

const nn = (n: number) => String(n).padStart(2, '0');

export function checkPlanFlow(plan: Plan, repoFiles: ReadonlySet<string>): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const byNumber = new Map(plan.phases.map((p) => [p.number, p]));
  for (const cycle of findCycles(plan.phases)) {
    problems.push({
      kind: 'cycle',
      file: byNumber.get(cycle[0]!)!.file,
      message: `phases ${cycle.map(nn).join(' → ')} depend on each other in a cycle; no order can satisfy them`,
    });
  }
  for (const p of plan.phases) {
    for (const d of p.header.depends_on) {
      if (d === p.number) continue; // reported as a cycle
      if (!byNumber.has(d)) problems.push({ kind: 'missing-phase', file: p.file, message: `depends on phase ${nn(d)}, which does not exist` });
      else if (d > p.number && !findCycles(plan.phases).some((c) => c.includes(d) && c.includes(p.number))) {
        problems.push({ kind: 'order', file: p.file, message: `phase ${nn(p.number)} is ordered before phase ${nn(d)}, which it depends on` });
      }
    }
    // Files earlier phases create count as existing for the phases that depend on them.
    const created = new Set<string>();
    for (const a of ancestors(p, byNumber)) for (const t of byNumber.get(a)?.header.tasks ?? []) t.files.forEach((f) => created.add(f));
    for (const ref of p.header.references) {
      if (!existsIn(repoFiles, ref) && !existsIn(created, ref)) {
        problems.push({ kind: 'missing-file', file: p.file, message: `cites ${ref}, which exists neither in the repository nor among the files earlier phases create` });
      }
    }
  }
  return problems;
}

/** Kinds that make a plan impossible to implement as written. */
export const BLOCKING_KINDS: ReadonlySet<PlanProblem['kind']> = new Set(['format', 'size', 'numbering', 'task', 'cycle', 'missing-phase']);

/**
 * The order phases run in: every phase after the phases it depends on, ties broken by number.
 * Throws when there is a cycle or a missing dependency (those plans never get this far).
 */
export function phaseOrder(phases: readonly PlanPhase[]): PlanPhase[] {
  const byNumber = new Map(phases.map((p) => [p.number, p]));
  const done = new Set<number>();
  const order: PlanPhase[] = [];
  while (order.length < phases.length) {
    const next = phases.find((p) => !done.has(p.number) && p.header.depends_on.every((d) => done.has(d) && byNumber.has(d)));
    if (!next) throw new Error('the phases cannot be ordered (a cycle or a missing dependency)');
    done.add(next.number);
    order.push(next);
  }
  return order;
}
