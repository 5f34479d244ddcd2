/**
 * The shared task list of a team (T5): tasks with dependencies, claimed and completed through the
 * teammates' tools. Claims are atomic: the list lives in one process, every change is checked and
 * written to disk (atomically) before the tool answers, so two teammates can never hold one task
 * and a crash never loses a claim or a completion.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../run/runDir';

export const TeamTaskSchema = z.object({
  id: z.string(),
  /** Who may claim it. */
  role: z.enum(['builder', 'validator']),
  kind: z.enum(['build', 'validate', 'fix', 'fix-tests', 'ship-changes']),
  title: z.string(),
  details: z.string(),
  files: z.array(z.string()),
  depends_on: z.array(z.string()),
  status: z.enum(['pending', 'claimed', 'complete', 'failed']),
  claimedBy: z.string().optional(),
  /** For validate tasks: the builder task they check. */
  validates: z.string().optional(),
  summary: z.string().optional(),
  /** Validate tasks: whether the work passed. */
  ok: z.boolean().optional(),
  /** How often the task was released (its teammate died, or its merge conflicted). */
  releases: z.number().int().min(0).default(0),
  commit: z.string().optional(),
  /**
   * Builder tasks: fix rounds granted beyond the team's limit, one for each time a resume re-opened
   * a validation of this task that had failed for good (see `reopen`).
   */
  extraFixes: z.number().int().min(0).optional(),
});
export type TeamTask = z.infer<typeof TeamTaskSchema>;
export type NewTask = Omit<TeamTask, 'status' | 'releases'>;

const FileSchema = z.object({ tasks: z.array(TeamTaskSchema) });

export class ClaimError extends Error {}

export class TaskList {
  private constructor(
    private readonly file: string,
    readonly tasks: TeamTask[],
  ) {}

  static open(file: string): TaskList {
    if (!fs.existsSync(file)) return new TaskList(file, []);
    const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is invalid: ${parsed.error.issues[0]?.message}`);
    return new TaskList(file, parsed.data.tasks);
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify({ tasks: this.tasks }, null, 2) + '\n');
  }

  get(id: string): TeamTask | undefined {
    return this.tasks.find((t) => t.id === id);
  }

  add(task: NewTask): TeamTask {
    if (this.get(task.id)) throw new Error(`task ${task.id} exists already`);
    const t: TeamTask = { ...task, status: 'pending', releases: 0 };
    this.tasks.push(t);
    this.save();
    return t;
  }

  /**
   * The next id of a numbered series (`P` → P1, P2…; `S1-P` → S1-P1…), counted over the list's
   * life, so a resumed phase or round never reuses one.
   */
  nextNumbered(prefix: string): string {
    const inSeries = (id: string) => id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length));
    return `${prefix}${this.tasks.filter((t) => inSeries(t.id)).length + 1}`;
  }

  /** Makes `id` wait for `dependency` as well (a pre-flight fix runs before everything else). */
  addDependency(id: string, dependency: string): void {
    const t = this.get(id);
    if (t && !t.depends_on.includes(dependency)) t.depends_on.push(dependency);
    this.save();
  }

  private depsComplete(t: TeamTask): boolean {
    return t.depends_on.every((d) => this.get(d)?.status === 'complete');
  }

  claimable(role: TeamTask['role']): TeamTask[] {
    return this.tasks.filter((t) => t.role === role && t.status === 'pending' && this.depsComplete(t));
  }

  heldBy(name: string): TeamTask[] {
    return this.tasks.filter((t) => t.status === 'claimed' && t.claimedBy === name);
  }

  claim(id: string | undefined, name: string, role: TeamTask['role']): TeamTask {
    const held = this.heldBy(name);
    if (held.length > 0) throw new ClaimError(`you already hold ${held[0]!.id}; complete it before claiming another task`);
    const t = id ? this.get(id) : this.claimable(role)[0];
    if (!t) throw new ClaimError(id ? `there is no task ${id}` : 'no task is claimable for you right now');
    if (t.role !== role) throw new ClaimError(`${t.id} is a ${t.role} task; you are a ${role}`);
    if (t.status === 'claimed') throw new ClaimError(`${t.id} is already claimed by ${t.claimedBy}`);
    if (t.status !== 'pending') throw new ClaimError(`${t.id} is ${t.status}`);
    const waiting = t.depends_on.filter((d) => this.get(d)?.status !== 'complete');
    if (waiting.length > 0) throw new ClaimError(`${t.id} waits for ${waiting.join(', ')}`);
    t.status = 'claimed';
    t.claimedBy = name;
    this.save();
    return t;
  }

  complete(id: string, name: string, result: { summary: string; ok?: boolean; commit?: string }): TeamTask {
    const t = this.get(id);
    if (!t) throw new ClaimError(`there is no task ${id}`);
    if (t.status !== 'claimed' || t.claimedBy !== name) throw new ClaimError(`${id} is not claimed by you (${t.status}${t.claimedBy ? `, ${t.claimedBy}` : ''})`);
    t.status = 'complete';
    t.summary = result.summary;
    t.ok = result.ok;
    t.commit = result.commit;
    this.save();
    return t;
  }

  /** Puts a teammate's claims back on the list (it died, or its work could not be merged). */
  release(name: string, onlyId?: string): TeamTask[] {
    const released = this.heldBy(name).filter((t) => onlyId === undefined || t.id === onlyId);
    for (const t of released) {
      t.status = 'pending';
      t.claimedBy = undefined;
      t.releases++;
    }
    if (released.length) this.save();
    return released;
  }

  fail(id: string, summary: string): void {
    const t = this.get(id);
    if (!t) return;
    t.status = 'failed';
    t.summary = summary;
    this.save();
  }

  /**
   * Puts a task that failed for good back on the list, and grants `grantTo` (the builder task it
   * validates) one more fix round: running a halted run again is the user asking for another try.
   */
  reopen(id: string, grantTo: string | undefined): void {
    const t = this.get(id);
    if (!t || t.status !== 'failed') return;
    t.status = 'pending';
    t.claimedBy = undefined;
    const granted = grantTo ? this.get(grantTo) : undefined;
    if (granted) granted.extraFixes = (granted.extraFixes ?? 0) + 1;
    this.save();
  }

  allDone(): boolean {
    return this.tasks.every((t) => t.status === 'complete');
  }
}
