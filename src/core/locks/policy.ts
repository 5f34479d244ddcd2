/**
 * Who may change which contract item (M12, seed 000 "Trust Flag System"). The rule lives in code, in
 * one place, so a prompt can describe it but never decide it:
 * - builders and QC never change contracts, whatever the level;
 * - `unlocked`: any other actor;
 * - `locked`: the domain that locked it (`locked_by`), the master or the human;
 * - `critical`: the human, or the master carrying the human's approval (seed: "only human + master").
 */
import type { LockEntry, LockLevel } from '../contracts/schemas';

/** The actor is set by the engine from the agent it spawned, never taken from model output. */
export interface Actor {
  /** architect, security, performance, master, human, builder, qc, scaffold, ... */
  role: string;
  /** Who exactly: an agent id or the human's name; goes into the audit trail. */
  name: string;
  /** A human's approval the master acts under (the conflict gate); needed for `critical` items. */
  humanApproval?: { by: string; at: string };
}

export type ItemKind = 'decision' | 'interface' | 'adr';

export interface LockedItem {
  kind: ItemKind;
  key: string;
  /** The lock on the item; undefined when the item has none (new, or not in locks.json). */
  entry?: LockEntry;
}

export type LockCheck = { allowed: true; level: LockLevel } | { allowed: false; level: LockLevel; reason: string };

const NEVER = new Set(['builder', 'qc']);

export function itemLabel(item: Pick<LockedItem, 'kind' | 'key'>): string {
  return `${item.kind} ${item.key}`;
}

export function checkLock(actor: Actor, item: LockedItem): LockCheck {
  const level: LockLevel = item.entry?.lock_level ?? 'unlocked';
  const holder = item.entry?.locked_by;
  const lock = `${itemLabel(item)} is ${level}${holder ? ` (locked by ${holder})` : ''}`;
  if (NEVER.has(actor.role)) {
    return { allowed: false, level, reason: `${lock}: ${actor.role} agents never modify contracts; ${actor.name} was refused` };
  }
  if (level === 'unlocked') return { allowed: true, level };
  if (level === 'locked') {
    if (actor.role === 'master' || actor.role === 'human' || actor.role === holder) return { allowed: true, level };
    return { allowed: false, level, reason: `${lock}: only ${holder}, the master or the human may change it; ${actor.name} (${actor.role}) was refused` };
  }
  if (actor.role === 'human') return { allowed: true, level };
  if (actor.role === 'master' && actor.humanApproval) return { allowed: true, level };
  if (actor.role === 'master') {
    return { allowed: false, level, reason: `${lock}: a critical item changes only with the human's approval; the master ${actor.name} acted without it and was refused` };
  }
  return { allowed: false, level, reason: `${lock}: only the master (with the human's approval) or the human may change it; ${actor.name} (${actor.role}) was refused` };
}
