/**
 * Reading a process's /proc/PID/stat (Linux). The line is "pid (comm) state ppid pgrp …", and comm is
 * the program's name as the process set it: it may hold spaces and parentheses, so the fields are
 * counted after the last ')'. The engine's readers of it (the sandbox freezer for the parent and the
 * state, the run lock for the start time) go through here so that rule lives once in TypeScript; the
 * stray check inside a kept sandbox shell (commandShells.ts) applies the same rule in bash.
 */
import * as fs from 'node:fs';

/**
 * The fields after comm, from `state` on: index 0 is the state (field 3 in proc(5)), 1 the parent's
 * pid (field 4), 19 the start time in clock ticks since boot (field 22). Undefined when the process
 * is gone or there is no /proc.
 */
export function procStatFields(pid: number | string): string[] | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).trimEnd().split(' ');
}

/** The processes below `root` (not `root` itself), read from /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStatFields(entry);
    if (!fields) continue; // gone meanwhile
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}
