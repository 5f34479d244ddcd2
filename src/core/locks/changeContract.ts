/**
 * The one function every contract change goes through (M12): it finds the item's lock, asks the
 * policy whether this actor may change it, applies the change, re-validates the contracts (a change
 * that breaks them is rolled back), and appends the attempt to the audit trail whatever the outcome.
 * Refusals throw a LockError whose message names the lock, so the caller (a tool, the conflict
 * flow, a test) shows the same words the audit trail keeps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { LockLevelSchema, LocksSchema, type LockEntry, type LockLevel, type Locks } from '../contracts/schemas';
import { ADR_FILE_PATTERN, DECISIONS_DIR, LOCKS_FILE, SHARED_TYPES_FILE, interfaceFileFor, validateContracts } from '../contracts/validator';
import { validateModuleName, quoteUntrusted } from '../contracts/names';
import { writeFileAtomic } from '../run/runDir';
import { appendAudit, readAudit, type AuditEntry } from './audit';
import { checkLock, itemLabel, type Actor, type LockedItem } from './policy';

const Text = z.string().min(1).max(200_000);

export const ContractChangeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('decision'),
    /** The decision's key in locks.json (the ADR stem, e.g. 001-runtime). */
    key: z.string().min(1).max(120),
    assertion: z.string().min(1).max(2000).optional(),
    lock_level: LockLevelSchema.optional(),
    affects: z.array(z.string().min(1).max(60)).max(200).optional(),
  }),
  z.object({
    kind: z.literal('interface'),
    /** A module name, or `shared-types`. */
    key: z.string().min(1).max(60),
    text: Text,
  }),
  z.object({
    kind: z.literal('adr'),
    /** A new ADR's stem, NNN-topic; existing ADRs are never rewritten (a new one supersedes). */
    key: z.string().min(1).max(90),
    text: Text,
  }),
]);
export type ContractChange = z.infer<typeof ContractChangeSchema>;

export type LockErrorReason = 'refused' | 'invalid';

export class LockError extends Error {
  constructor(
    readonly reason: LockErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'LockError';
  }
  static is(e: unknown, reason?: LockErrorReason): e is LockError {
    return e instanceof LockError && (reason === undefined || e.reason === reason);
  }
}

export interface AppliedChange {
  item: string;
  old: unknown;
  new: unknown;
}

export interface ChangeOptions {
  /** Injectable clock for the audit trail. */
  now?: () => Date;
  /** Called with the value an applied change replaced, e.g. to archive a superseded decision in memory. */
  onSuperseded?: (change: AppliedChange, reason: string) => void;
}

// Changes to one contracts folder run one after another: two read-modify-write of locks.json would lose one.
const queues = new Map<string, Promise<unknown>>();

export function changeContract(contractsDir: string, input: ContractChange, actor: Actor, reason: string, opts: ChangeOptions = {}): Promise<AppliedChange> {
  const key = path.resolve(contractsDir);
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(
    () => apply(contractsDir, input, actor, reason, opts),
    () => apply(contractsDir, input, actor, reason, opts),
  );
  queues.set(key, next.catch(() => undefined));
  return next;
}

async function apply(dir: string, input: ContractChange, actor: Actor, reason: string, opts: ChangeOptions): Promise<AppliedChange> {
  const change = ContractChangeSchema.parse(input);
  const now = (opts.now ?? (() => new Date()))().toISOString();
  const locks = readLocksFile(dir);
  const item = lockedItem(locks, change);
  const label = itemLabel(item);
  const audit = (e: Pick<AuditEntry, 'outcome' | 'old' | 'new' | 'refusal'>) =>
    appendAudit(dir, {
      at: now,
      who: { role: actor.role, name: actor.name, ...(actor.humanApproval ? { approvedBy: actor.humanApproval.by } : {}) },
      item: label,
      kind: change.kind,
      key: change.key,
      level: item.entry?.lock_level ?? 'unlocked',
      reason,
      ...e,
    });

  const check = checkLock(actor, item);
  const landed = check.allowed ? landedAdr(dir, change) : undefined;
  if (landed !== undefined) {
    // The same ADR is already there: written by this change before a kill cut its audit entry (a
    // resumed conflict resolution applies it again). Not a rewrite, so not refused; audited once.
    const already = readAudit(dir).entries.some((e) => e.outcome === 'applied' && e.item === label && typeof e.new === 'string' && e.new.trimEnd() === landed.trimEnd());
    if (!already) audit({ outcome: 'applied', new: landed });
    return { item: label, old: undefined, new: landed };
  }
  const shape = shapeProblem(dir, locks, change);
  if (!check.allowed || shape) {
    const why = check.allowed ? `${label}: ${shape}` : check.reason;
    audit({ outcome: 'refused', refusal: why, new: proposedValue(change) });
    throw new LockError('refused', why);
  }

  const before = await validateContracts(dir);
  const undo = snapshot(dir, change);
  const { old, value } = write(dir, locks, change, actor, now);
  if (before.ok) {
    const after = await validateContracts(dir);
    if (!after.ok) {
      undo();
      const why = `${label}: the change would break the contracts (${after.problems.slice(0, 3).map((p) => `${p.file}: ${p.message}`).join('; ')}); rolled back`;
      audit({ outcome: 'invalid', old, new: value, refusal: why });
      throw new LockError('invalid', why);
    }
  }
  audit({ outcome: 'applied', old, new: value });
  const applied = { item: label, old, new: value };
  if (old !== undefined) opts.onSuperseded?.(applied, reason);
  return applied;
}

export function readLocksFile(dir: string): Locks {
  const raw = JSON.parse(fs.readFileSync(path.join(dir, LOCKS_FILE), 'utf8')) as unknown;
  return LocksSchema.parse(raw);
}

export function interfaceRel(key: string): string {
  return key === 'shared-types' ? SHARED_TYPES_FILE : interfaceFileFor(key);
}

const LEVEL_RANK: Record<LockLevel, number> = { unlocked: 0, locked: 1, critical: 2 };

/** The stricter of two lock entries (either may be missing). */
function stricter(a: LockEntry | undefined, b: LockEntry | undefined): LockEntry | undefined {
  if (!a || !b) return a ?? b;
  return LEVEL_RANK[b.lock_level] > LEVEL_RANK[a.lock_level] ? b : a;
}

/**
 * The lock entry of an interface (a module name or `shared-types`). locks.json may key it by module
 * name or by file; an entry under each must not let the weaker one decide.
 */
export function interfaceLock(locks: Locks, key: string): LockEntry | undefined {
  return stricter(locks.interfaces[key], locks.interfaces[interfaceRel(key)]);
}

/** The lock an item of the contracts is under (what `changeContract` checks, and the conflict gate shows). */
export function lockedItem(locks: Locks, change: ContractChange): LockedItem {
  switch (change.kind) {
    case 'decision':
      return { kind: 'decision', key: change.key, entry: locks.decisions[change.key] };
    case 'interface':
      return { kind: 'interface', key: change.key, entry: interfaceLock(locks, change.key) };
    case 'adr':
      // A new ADR carries the lock of the decision it records, if that decision exists already.
      return { kind: 'adr', key: change.key, entry: locks.decisions[change.key] };
  }
}

/** For an ADR change whose file exists with exactly its text (line ends aside): that text. */
function landedAdr(dir: string, change: ContractChange): string | undefined {
  if (change.kind !== 'adr' || !ADR_FILE_PATTERN.test(`${change.key}.md`)) return undefined;
  try {
    const text = fs.readFileSync(filesOf(dir, change)[0]!, 'utf8');
    return text.trimEnd() === change.text.trimEnd() ? change.text : undefined;
  } catch {
    return undefined;
  }
}

/** What is wrong with the change itself, independent of who asks (names, existence). */
function shapeProblem(dir: string, locks: Locks, change: ContractChange): string | undefined {
  if (change.kind === 'decision') {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(change.key)) return `decision key ${quoteUntrusted(change.key)} is not a lowercase slug`;
    const exists = change.key in locks.decisions;
    if (!exists && (!change.assertion || !change.lock_level)) return 'a new decision needs an assertion and a lock_level';
    if (exists && !change.assertion && !change.lock_level && !change.affects) return 'the change names no field to change';
    return undefined;
  }
  if (change.kind === 'interface') {
    if (change.key !== 'shared-types') {
      const why = validateModuleName(change.key);
      if (why) return `interface key ${why}`;
    }
    if (!fs.existsSync(path.join(dir, interfaceRel(change.key)))) return `there is no ${interfaceRel(change.key)} to change`;
    return undefined;
  }
  if (!ADR_FILE_PATTERN.test(`${change.key}.md`)) return `ADR name ${quoteUntrusted(change.key)} is not NNN-topic`;
  if (fs.existsSync(path.join(dir, DECISIONS_DIR, `${change.key}.md`))) return `ADR ${change.key} exists; ADRs are not rewritten, a new ADR supersedes an old one`;
  return undefined;
}

function proposedValue(change: ContractChange): unknown {
  if (change.kind === 'decision') return { assertion: change.assertion, lock_level: change.lock_level, affects: change.affects };
  return change.text;
}

function filesOf(dir: string, change: ContractChange): string[] {
  if (change.kind === 'decision') return [path.join(dir, LOCKS_FILE)];
  if (change.kind === 'interface') return [path.join(dir, interfaceRel(change.key))];
  return [path.join(dir, DECISIONS_DIR, `${change.key}.md`)];
}

function snapshot(dir: string, change: ContractChange): () => void {
  const saved = filesOf(dir, change).map((f) => [f, fs.existsSync(f) ? fs.readFileSync(f) : undefined] as const);
  return () => {
    for (const [f, data] of saved) {
      if (data === undefined) fs.rmSync(f, { force: true });
      else fs.writeFileSync(f, data);
    }
  };
}

function write(dir: string, locks: Locks, change: ContractChange, actor: Actor, now: string): { old: unknown; value: unknown } {
  if (change.kind === 'decision') {
    const prior: LockEntry | undefined = locks.decisions[change.key];
    const next: LockEntry = {
      locked_by: prior?.locked_by ?? actor.role,
      lock_level: change.lock_level ?? prior!.lock_level,
      affects: change.affects ?? prior?.affects ?? [],
      assertion: change.assertion ?? prior!.assertion,
      locked_at: now,
      ...(prior?.category ? { category: prior.category } : {}),
    };
    locks.decisions[change.key] = next;
    writeFileAtomic(path.join(dir, LOCKS_FILE), JSON.stringify(locks, null, 2) + '\n');
    return { old: prior, value: next };
  }
  const file = filesOf(dir, change)[0]!;
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, change.text.endsWith('\n') ? change.text : change.text + '\n');
  return { old, value: change.text };
}
