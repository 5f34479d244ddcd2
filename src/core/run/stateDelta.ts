/**
 * What changed in the run state since it was last written, as a short list of operations, and how
 * to apply them again. The state grows with the number of modules (one entry per module, per agent's
 * usage, per merge); rewriting all of it after each small update made a run of N modules write O(N²)
 * bytes. A delta names only the units that changed: one module, one stage, one agent's usage, the
 * merges appended since last time. Pure: no disk here (stateLog.ts writes and replays the deltas).
 *
 * Every operation sets a unit to its value at the time it was recorded (or truncates and appends an
 * array at a recorded index), so replaying a log over a snapshot taken after it gives that snapshot
 * again: the last operation on each unit carries the unit's value at snapshot time.
 */

export type DeltaOp =
  /** Top-level field set to a value (primitives, and objects/arrays replaced whole). */
  | ['set', string, unknown]
  /** Top-level field removed. */
  | ['del', string]
  /** One element of a keyed collection (modules by name, stages by id) or one entry of a record. */
  | ['item', string, string, unknown]
  /** A record entry removed. */
  | ['drop', string, string]
  /** A keyed collection's members, in order (sent when members were added, removed or reordered). */
  | ['order', string, string[]]
  /** An array cut to `from` elements, then `items` appended (merges, gates: they only grow). */
  | ['push', string, number, unknown[]];

/** Arrays whose elements are addressed by a key field instead of by position. */
const KEYED: Readonly<Record<string, string>> = { modules: 'name', stages: 'id' };

/** Unit key → a private copy of the unit as last written (markers hold the field's kind). */
type Snapshot = Map<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Equality as JSON sees it (undefined properties do not exist). Comparing against a kept copy is
 * far cheaper than serializing every unit on every update: almost all of them are unchanged, and
 * most differ at their first field when they are not.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let count = 0;
  for (const k in ra) {
    if (ra[k] === undefined) continue;
    count++;
    if (!jsonEqual(ra[k], rb[k])) return false;
  }
  for (const k in rb) if (rb[k] !== undefined) count--;
  return count === 0;
}

/** A deep copy with undefined properties left out, as the disk would give it back. */
function jsonCopy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Remembers a copy of every unit last written, and turns the next state into the operations that
 * bring the written form up to date.
 */
export class StateDiffer {
  private last: Snapshot = new Map();

  /** Forget everything; with `state`, remember it as written (after a full snapshot). */
  reset(state?: object): void {
    this.last = new Map();
    if (state) this.diff(state);
  }

  diff(state: object): DeltaOp[] {
    const ops: DeltaOp[] = [];
    const next: Snapshot = new Map();
    const s = state as Record<string, unknown>;
    for (const [key, value] of Object.entries(s)) {
      if (value === undefined) continue;
      const keyField = KEYED[key];
      if (keyField && Array.isArray(value)) this.diffKeyed(key, keyField, value, next, ops);
      else if (isRecord(value)) this.diffRecord(key, value, next, ops);
      else if (Array.isArray(value)) this.diffArray(key, value, next, ops);
      else {
        this.marker(key, 'value', next);
        this.unit(`=${key}`, value, next, () => ops.push(['set', key, value]));
      }
    }
    for (const unitKey of this.last.keys()) {
      // A top-level field that is gone: every kind of unit records its field under a marker.
      if (unitKey.startsWith('@') && !next.has(unitKey)) ops.push(['del', unitKey.slice(1)]);
    }
    this.last = next;
    return ops;
  }

  private unit(unitKey: string, value: unknown, next: Snapshot, changed: () => void): void {
    const was = this.last.get(unitKey);
    if (this.last.has(unitKey) && jsonEqual(was, value)) {
      next.set(unitKey, was);
      return;
    }
    next.set(unitKey, jsonCopy(value));
    changed();
  }

  private marker(key: string, kind: string, next: Snapshot): boolean {
    const was = this.last.get(`@${key}`);
    next.set(`@${key}`, kind);
    return was === kind;
  }

  private diffKeyed(key: string, keyField: string, items: unknown[], next: Snapshot, ops: DeltaOp[]): void {
    const known = this.marker(key, 'keyed', next);
    const ids = items.map((it) => String((it as Record<string, unknown>)[keyField]));
    if (!known) ops.push(['set', key, []]);
    items.forEach((item, i) => this.unit(`${key}/${ids[i]}`, item, next, () => ops.push(['item', key, ids[i]!, jsonCopy(item)])));
    // After the items: new members are appended by 'item', then put in their place (and gone ones dropped) here.
    this.unit(`#${key}`, ids, next, () => ops.push(['order', key, ids]));
  }

  private diffRecord(key: string, record: Record<string, unknown>, next: Snapshot, ops: DeltaOp[]): void {
    if (!this.marker(key, 'record', next)) ops.push(['set', key, {}]);
    const prefix = `${key}/`;
    const was = (this.last.get(`{${key}`) as Set<string> | undefined) ?? new Set<string>();
    const now = new Set<string>();
    for (const [sub, value] of Object.entries(record)) {
      if (value === undefined) continue;
      now.add(sub);
      this.unit(prefix + sub, value, next, () => ops.push(['item', key, sub, jsonCopy(value)]));
    }
    next.set(`{${key}`, now);
    for (const sub of was) if (!now.has(sub)) ops.push(['drop', key, sub]);
  }

  private diffArray(key: string, items: unknown[], next: Snapshot, ops: DeltaOp[]): void {
    const known = this.marker(key, 'array', next);
    const before = known ? ((this.last.get(`[${key}`) as unknown[] | undefined) ?? []) : null;
    let same = 0;
    if (before !== null) while (same < before.length && same < items.length && jsonEqual(before[same], items[same])) same++;
    if (before !== null && same === before.length && same === items.length) {
      next.set(`[${key}`, before);
      return;
    }
    const added = jsonCopy(items.slice(same));
    next.set(`[${key}`, [...(before ?? []).slice(0, same), ...jsonCopy(added)]);
    ops.push(['push', key, same, added]);
  }
}

/** Applies operations to a parsed state object in place (the result is validated by the caller). */
export function applyDelta(state: Record<string, unknown>, ops: readonly DeltaOp[]): void {
  for (const op of ops) {
    switch (op[0]) {
      case 'set':
        state[op[1]] = structuredClone(op[2]);
        break;
      case 'del':
        delete state[op[1]];
        break;
      case 'item': {
        const [, key, id, value] = op;
        const keyField = KEYED[key];
        if (keyField) {
          const list = (Array.isArray(state[key]) ? state[key] : (state[key] = [])) as Array<Record<string, unknown>>;
          const at = list.findIndex((x) => String(x[keyField]) === id);
          if (at === -1) list.push(structuredClone(value) as Record<string, unknown>);
          else list[at] = structuredClone(value) as Record<string, unknown>;
        } else {
          const record = (isRecord(state[key]) ? state[key] : (state[key] = {})) as Record<string, unknown>;
          record[id] = structuredClone(value);
        }
        break;
      }
      case 'drop': {
        const record = state[op[1]];
        if (isRecord(record)) delete record[op[2]];
        break;
      }
      case 'order': {
        const [, key, ids] = op;
        const keyField = KEYED[key] ?? 'id';
        const list = (Array.isArray(state[key]) ? state[key] : []) as Array<Record<string, unknown>>;
        const byId = new Map(list.map((x) => [String(x[keyField]), x]));
        state[key] = ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
        break;
      }
      case 'push': {
        const [, key, from, items] = op;
        const list = (Array.isArray(state[key]) ? state[key] : []) as unknown[];
        state[key] = [...list.slice(0, from), ...structuredClone(items)];
        break;
      }
    }
  }
}
