/**
 * The Locks view's model: locked decisions and interfaces from `locks.json` with their lock level and
 * who locked them, and the ADRs in `decisions/`. Reloaded from disk when the contracts may have
 * changed (after Stage 1, after a gate decision, after a contract conflict is resolved).
 */
import type { LockEntry, LockLevel } from '../../core/contracts/schemas';
import { Emitter } from '../../core/events';
import { readAudit, type AuditEntry } from '../../core/locks/audit';
import { lastChanges } from '../../core/locks/history';
import { structure, type ModelChange } from './changes';
import { adrForDecision, contractsDir, listAdrs, readLocks, type AdrFile } from './contractsReader';

export type LockGroupKind = 'decisions' | 'interfaces' | 'adrs';

export interface LockGroupNode {
  readonly kind: 'lock-group';
  readonly group: LockGroupKind;
  readonly children: (LockNode | AdrNode)[];
}

export interface LockNode {
  readonly kind: 'lock';
  readonly group: 'decisions' | 'interfaces';
  readonly key: string;
  readonly level: LockLevel;
  readonly entry: LockEntry;
  readonly adr?: AdrFile;
  /** The latest applied change from the audit trail (locks-audit.jsonl), if any. */
  readonly lastChange?: AuditEntry;
}

export interface AdrNode {
  readonly kind: 'adr';
  readonly adr: AdrFile;
}

export type LocksTreeNode = LockGroupNode | LockNode | AdrNode;

const LEVEL_ORDER: Record<LockLevel, number> = { critical: 0, locked: 1, unlocked: 2 };

export class LocksModel {
  private groups: LockGroupNode[] = [];
  private adrList: AdrFile[] = [];
  problem: string | undefined;
  private readonly changed = new Emitter<ModelChange<LocksTreeNode>>();
  readonly onDidChange = this.changed.event;

  roots(): LockGroupNode[] {
    return this.groups.filter((g) => g.children.length > 0);
  }

  adrs(): AdrFile[] {
    return [...this.adrList];
  }

  clear(): void {
    this.groups = [];
    this.adrList = [];
    this.problem = undefined;
    this.changed.fire(structure);
  }

  reload(runDir: string): void {
    const read = readLocks(runDir);
    this.adrList = listAdrs(runDir);
    this.problem = read.ok ? undefined : read.problem;
    const locks = read.ok ? read.locks : { decisions: {}, interfaces: {} };
    const changes = lastChanges(readAudit(contractsDir(runDir)).entries);
    const entries = (group: 'decisions' | 'interfaces', rec: Record<string, LockEntry>): LockNode[] =>
      Object.entries(rec)
        .map(([key, entry]) => ({
          kind: 'lock' as const,
          group,
          key,
          level: entry.lock_level,
          entry,
          adr: group === 'decisions' ? adrForDecision(key, this.adrList) : undefined,
          lastChange: changes.get(`${group === 'decisions' ? 'decision' : 'interface'}:${key}`),
        }))
        .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || a.key.localeCompare(b.key));
    this.groups = [
      { kind: 'lock-group', group: 'decisions', children: entries('decisions', locks.decisions) },
      { kind: 'lock-group', group: 'interfaces', children: entries('interfaces', locks.interfaces) },
      { kind: 'lock-group', group: 'adrs', children: this.adrList.map((adr) => ({ kind: 'adr' as const, adr })) },
    ];
    this.changed.fire(structure);
  }

  counts(): { decisions: number; interfaces: number; locked: number; adrs: number } {
    const all = this.groups.flatMap((g) => g.children).filter((c): c is LockNode => c.kind === 'lock');
    return {
      decisions: all.filter((c) => c.group === 'decisions').length,
      interfaces: all.filter((c) => c.group === 'interfaces').length,
      locked: all.filter((c) => c.level !== 'unlocked').length,
      adrs: this.adrList.length,
    };
  }
}
