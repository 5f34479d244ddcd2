/**
 * The figures of the 03-scale suite (issue #10): engine event → Modules tree row, and where that time
 * goes. Pure functions over what the suite collected: the journal's status changes, the row changes
 * the page's MutationObserver stamped, and the extension host's timing log (BP_TIMING_LOG, see
 * src/extension/diagnostics/timingLog.ts). Printed, never asserted.
 */

export interface StatusEvent {
  at: string;
  module: string;
  status: string;
}

export interface RowChange {
  t: number;
  name: string;
  desc: string;
}

/** One line of the extension host's timing log. */
export interface TimingMark {
  t: number;
  k: string;
  [key: string]: unknown;
}

export interface Sample {
  module: string;
  status: string;
  /** Journal time of the event. */
  at: number;
  /** The row showing it. */
  shown: number;
}

/** The status a Modules row shows: the first part of its description ("qc · worktree open · ≈$0.01"). */
export function rowStatus(desc: string): string {
  return desc.split(' · ')[0]!.trim();
}

/**
 * Each journaled status change paired with the row change that drew it. Changes of the row's other
 * parts (cost, "worktree open") are skipped: the sample is the first change after the event whose
 * status differs from what the row showed before it, and it counts only if that is the event's status
 * (a status replaced before it was drawn gives no sample, and neither does one the row already showed).
 */
export function pairUp(events: readonly StatusEvent[], changes: readonly RowChange[]): Sample[] {
  const byModule = new Map<string, RowChange[]>();
  for (const c of changes) {
    const list = byModule.get(c.name) ?? [];
    list.push(c);
    byModule.set(c.name, list);
  }
  const out: Sample[] = [];
  for (const e of events) {
    const at = Date.parse(e.at);
    const rows = byModule.get(e.module) ?? [];
    const before = rows.filter((c) => c.t < at).at(-1);
    const shownBefore = before ? rowStatus(before.desc) : undefined;
    if (shownBefore === e.status) continue;
    const next = rows.find((c) => c.t >= at && rowStatus(c.desc) !== shownBefore);
    if (next && rowStatus(next.desc) === e.status) out.push({ module: e.module, status: e.status, at, shown: next.t });
  }
  return out;
}

export interface Figures {
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export function figures(values: readonly number[]): Figures {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { samples: sorted.length, medianMs: pick(50), p95Ms: pick(95), maxMs: sorted.at(-1) ?? NaN };
}

/**
 * Where each sample's time went, from the extension host's timing log: event → the Modules tree's
 * refresh fired (the coalescer), → VS Code asked for that row's tree item showing the new status
 * (the extension host's tree queue and event loop), → the row changed on the page (the renderer).
 */
export function breakdown(samples: readonly Sample[], marks: readonly TimingMark[]): Record<string, Figures> {
  const fires = marks.filter((m) => m.k === 'fire' && m.view === 'modules').map((m) => m.t);
  const items = marks.filter((m) => m.k === 'item' && m.view === 'modules');
  const toFire: number[] = [];
  const toItem: number[] = [];
  const itemToRow: number[] = [];
  for (const s of samples) {
    const fire = fires.find((t) => t >= s.at);
    if (fire !== undefined && fire <= s.shown) toFire.push(fire - s.at);
    const item = items.find((m) => m.t >= s.at && m.label === s.module && rowStatus(String(m.desc)) === s.status);
    if (item && item.t <= s.shown) {
      toItem.push(item.t - s.at);
      itemToRow.push(s.shown - item.t);
    }
  }
  return { 'event → refresh fired': figures(toFire), 'event → tree item asked for': figures(toItem), 'tree item → row drawn': figures(itemToRow) };
}

/** The extension host's event-loop delay over a time window (from the timing log's once-a-second samples). */
export function loopDelay(marks: readonly TimingMark[], from: number, to: number): { seconds: number; worstP99Ms: number; worstMaxMs: number; meanOfMeansMs: number } {
  const loops = marks.filter((m) => m.k === 'loop' && m.t >= from && m.t <= to);
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    seconds: loops.length,
    worstP99Ms: Math.max(0, ...loops.map((m) => num(m.p99Ms))),
    worstMaxMs: Math.max(0, ...loops.map((m) => num(m.maxMs))),
    meanOfMeansMs: loops.length ? Math.round((loops.reduce((a, m) => a + num(m.meanMs), 0) / loops.length) * 10) / 10 : 0,
  };
}

/** Workspace-folder updates: how many, and how long each took VS Code to confirm. */
export function folderUpdates(marks: readonly TimingMark[]): Figures & { count: number } {
  const durations: number[] = [];
  let start: number | undefined;
  for (const m of marks) {
    if (m.k === 'folders-start') start = m.t;
    if (m.k === 'folders-done' && start !== undefined) {
      durations.push(m.t - start);
      start = undefined;
    }
  }
  return { count: durations.length, ...figures(durations) };
}
