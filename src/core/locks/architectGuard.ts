/**
 * The architect writes the contracts folder with its file tools, not through changeContract: on the
 * first run there is nothing to protect, but on a later run in the same repository the contracts of
 * earlier runs are there, and a file tool could rewrite a decision another domain locked, a critical
 * one, or an ADR. The lock policy (policy.ts) decides here too: after each of the architect's rounds,
 * every item that existed when the run started is compared with what the architect left. A change
 * the policy refuses is undone by the engine (the item is restored as it was) and reported; a change
 * it allows (an unlocked item, or one the architect itself locked) goes into the audit trail, as
 * every contract change does (M12). Items the run created are the architect's to shape.
 */
import { runGit } from '../git/run';
import { fileAtCommit } from '../git/repo';
import { LocksSchema, type LockEntry, type Locks } from '../contracts/schemas';
import { ADR_FILE_PATTERN, DECISIONS_DIR, LOCKS_FILE, SHARED_TYPES_FILE } from '../contracts/validator';
import { readWholeAgentFile, restoreFile } from '../agents/agentFiles';
import { appendAudit, readAudit, type AuditEntry } from './audit';
import { interfaceLock } from './changeContract';
import { checkLock, itemLabel, type Actor, type ItemKind } from './policy';

/** The contracts as the run found them: parsed locks and the text of every interface file and ADR. */
export interface ContractsAtStart {
  locks: Locks;
  /** Path relative to the contracts folder → text. */
  files: Map<string, string>;
}

const INTERFACE_FILE = /^interfaces\/([a-z0-9][a-z0-9-]*)\.interface\.md$/;

/**
 * The contracts at `commit` (the run's base), read from git so that a revision round in the same run
 * (the blueprint gate's "changes") still counts this run's own items as new. Undefined when the
 * commit has no readable locks.json: nothing was decided yet, so there is nothing to protect.
 */
export async function contractsAtStart(repoRoot: string, commit: string, contractsRel: string): Promise<ContractsAtStart | undefined> {
  const show = (rel: string) => fileAtCommit(repoRoot, commit, `${contractsRel}/${rel}`);
  const lockText = await show(LOCKS_FILE);
  if (lockText === undefined) return undefined;
  let locks: Locks;
  try {
    locks = LocksSchema.parse(JSON.parse(lockText));
  } catch {
    return undefined; // a locks.json nobody could enforce before is not enforced now either
  }
  const listed = await runGit(repoRoot, ['ls-tree', '-r', '-z', '--name-only', commit, '--', `${contractsRel}/`]);
  const files = new Map<string, string>();
  for (const full of listed.exitCode === 0 ? listed.stdout.split('\0').filter(Boolean) : []) {
    const rel = full.slice(contractsRel.length + 1);
    if (!isGuardedFile(rel)) continue;
    const text = await show(rel);
    if (text !== undefined) files.set(rel, text);
  }
  return { locks, files };
}

function isGuardedFile(rel: string): boolean {
  return rel === SHARED_TYPES_FILE || INTERFACE_FILE.test(rel) || (rel.startsWith(`${DECISIONS_DIR}/`) && ADR_FILE_PATTERN.test(rel.slice(DECISIONS_DIR.length + 1)));
}

export interface GuardOutcome {
  /** One line per change the policy refused; the engine restored each item. */
  restored: string[];
  /** Changes the policy allows, for the audit trail once the contracts are final. */
  allowed: Pick<AuditEntry, 'item' | 'kind' | 'key' | 'level' | 'old' | 'new'>[];
}

/** The fields of a lock that say something (its time stamp is rewritten with any edit of the file). */
function sameEntry(a: LockEntry | undefined, b: LockEntry | undefined): boolean {
  const key = (e: LockEntry | undefined) => (e ? JSON.stringify([e.locked_by, e.lock_level, [...e.affects].sort(), e.assertion, e.category ?? null]) : 'none');
  return key(a) === key(b);
}

const trimEnd = (t: string | undefined) => t?.trimEnd();

/**
 * Compares the contracts in `dir` with `start`, restores every change `actor` may not make, and
 * returns what was restored and what may stand. A locks.json that does not parse is left to the
 * validator (the architect then repairs it, and the next round is compared again).
 */
export function guardContractsAtStart(root: string, contractsRel: string, start: ContractsAtStart, actor: Actor): GuardOutcome {
  const out: GuardOutcome = { restored: [], allowed: [] };
  const readText = (rel: string) => readWholeAgentFile(root, `${contractsRel}/${rel}`);
  const restore = (rel: string, text: string) => restoreFile(root, `${contractsRel}/${rel}`, text);
  const judge = (kind: ItemKind, key: string, entry: LockEntry | undefined, old: unknown, now: unknown, restore: () => void) => {
    const check = checkLock(actor, { kind, key, entry });
    if (!check.allowed) {
      restore();
      out.restored.push(`${check.reason}; the engine restored it as it was when the run started`);
    } else {
      out.allowed.push({ item: itemLabel({ kind, key }), kind, key, level: check.level, old, new: now });
    }
  };

  // ADRs are never rewritten, whatever their lock: a new ADR supersedes an old one.
  for (const [rel, text] of start.files) {
    if (!rel.startsWith(`${DECISIONS_DIR}/`)) continue;
    const now = readText(rel);
    if (trimEnd(now) === trimEnd(text)) continue;
    restore(rel, text);
    out.restored.push(`ADR ${rel} existed when the run started; ADRs are not rewritten or removed (write a new ADR that supersedes it); the engine restored it`);
  }

  for (const [rel, text] of start.files) {
    if (rel.startsWith(`${DECISIONS_DIR}/`)) continue;
    const now = readText(rel);
    if (trimEnd(now) === trimEnd(text)) continue;
    const key = rel === SHARED_TYPES_FILE ? 'shared-types' : INTERFACE_FILE.exec(rel)![1]!;
    judge('interface', key, interfaceLock(start.locks, key), text, now, () => restore(rel, text));
  }

  let locks: Locks;
  try {
    locks = LocksSchema.parse(JSON.parse(readText(LOCKS_FILE) ?? ''));
  } catch {
    return out;
  }
  let rewrite = false;
  for (const field of ['decisions', 'interfaces'] as const) {
    for (const [key, before] of Object.entries(start.locks[field])) {
      const after = locks[field][key];
      if (sameEntry(before, after)) continue;
      const kind: ItemKind = field === 'decisions' ? 'decision' : 'interface';
      const entry = field === 'decisions' ? before : interfaceLock(start.locks, key);
      judge(kind, key, entry, before, after, () => {
        locks[field][key] = before;
        rewrite = true;
      });
    }
  }
  if (rewrite) restore(LOCKS_FILE, JSON.stringify(locks, null, 2) + '\n');
  return out;
}

/** An audit value without its time stamp (a lock's `locked_at` is rewritten with any edit), for comparing. */
function sameChangeKey(item: string, value: unknown): string {
  const v = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>), locked_at: undefined } : value;
  return `${item}\0${JSON.stringify(v ?? null)}`;
}

/**
 * The allowed changes join the audit trail, once each per run: a revision round of the same run
 * (`scope`, the reason's run-specific start) finds the change it already recorded and does not record
 * it again; a later run making the same change again records it, since it is a change again.
 */
export function auditAllowedChanges(dir: string, allowed: GuardOutcome['allowed'], actor: Actor, scope: string, why: string, at: Date): number {
  const seen = new Set(
    readAudit(dir)
      .entries.filter((e) => e.outcome === 'applied' && e.reason.startsWith(scope))
      .map((e) => sameChangeKey(e.item, e.new)),
  );
  let written = 0;
  for (const a of allowed) {
    const key = sameChangeKey(a.item, a.new);
    if (seen.has(key)) continue;
    seen.add(key);
    appendAudit(dir, { at: at.toISOString(), who: { role: actor.role, name: actor.name }, outcome: 'applied', reason: `${scope}: ${why}`, ...a });
    written++;
  }
  return written;
}

