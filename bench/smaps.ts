/**
 * What a process's RSS is made of, from /proc/<pid>/smaps (Linux only): the bench's memory line
 * says how much lies outside the engine thread's V8 heap, and this says what that is.
 *
 * - files: mapped files, the node binary (about 57 MB of it resident) and shared libraries;
 * - mallocMain: glibc's main arena (the `[heap]` brk segment);
 * - mallocArenas: glibc's per-thread arenas. A thread that calls malloc while the others hold theirs
 *   gets an arena of its own, up to 8 × cores of them; each is a 64 MB reservation aligned to 64 MB
 *   (HEAP_MAX_SIZE on 64-bit), its used start read-write and the rest PROT_NONE, and keeps freed
 *   memory it cannot give back;
 * - otherAnon: every other anonymous mapping: the V8 heaps of the engine thread and the git worker
 *   threads, thread stacks, large malloc blocks mapped on their own.
 *
 * `node out/bench/smaps.js <pid> [intervalMs]` prints one line per interval until the process ends,
 * then the line at the highest RSS seen.
 */
import * as fs from 'node:fs';

export interface RssBreakdown {
  rssMb: number;
  filesMb: number;
  mallocMainMb: number;
  mallocArenas: number;
  mallocArenasMb: number;
  otherAnonMb: number;
}

interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKb: number;
}

const ARENA = 64 * 1024 * 1024;

function parseSmaps(text: string): Mapping[] {
  const maps: Mapping[] = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      maps.push({ start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, path: head[4]!, rssKb: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length) maps[maps.length - 1]!.rssKb = Number(rss[1]);
  }
  return maps;
}

/**
 * A glibc thread arena: anonymous mappings covering exactly one 64 MB-aligned block, contiguous,
 * the first one read-write. (A V8 page or an mmapped block starting on a 64 MB boundary and spanning
 * exactly that block is possible but rare.)
 */
function arenaBlocks(anon: Mapping[]): Set<Mapping> {
  const inArena = new Set<Mapping>();
  for (let i = 0; i < anon.length; i++) {
    const first = anon[i]!;
    if (first.start % ARENA !== 0 || !first.perms.startsWith('rw')) continue;
    const group = [first];
    let end = first.end;
    for (let j = i + 1; j < anon.length && anon[j]!.start === end && end < first.start + ARENA; j++) {
      group.push(anon[j]!);
      end = anon[j]!.end;
    }
    if (end === first.start + ARENA) for (const m of group) inArena.add(m);
  }
  return inArena;
}

export function breakdown(smapsText: string): RssBreakdown {
  const maps = parseSmaps(smapsText);
  const mb = (list: Mapping[]) => list.reduce((n, m) => n + m.rssKb, 0) / 1024;
  const anon = maps.filter((m) => m.path === '');
  const arenas = arenaBlocks(anon);
  return {
    rssMb: mb(maps),
    filesMb: mb(maps.filter((m) => m.path.startsWith('/'))),
    mallocMainMb: mb(maps.filter((m) => m.path === '[heap]')),
    mallocArenas: [...arenas].filter((m) => m.start % ARENA === 0 && m.perms.startsWith('rw')).length,
    mallocArenasMb: mb([...arenas]),
    otherAnonMb: mb(anon.filter((m) => !arenas.has(m))) + mb(maps.filter((m) => m.path.startsWith('[') && m.path !== '[heap]')),
  };
}

/** The breakdown of a running process, or null where /proc cannot be read. */
export function rssBreakdown(pid: number | 'self' = 'self'): RssBreakdown | null {
  try {
    return breakdown(fs.readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  } catch {
    return null;
  }
}

export function breakdownLine(b: RssBreakdown): string {
  const f = (x: number) => `${x.toFixed(0)} MB`;
  return `RSS ${f(b.rssMb)}: files ${f(b.filesMb)}, malloc main arena ${f(b.mallocMainMb)}, ${b.mallocArenas} thread arenas ${f(b.mallocArenasMb)}, other anonymous (V8 heaps, stacks, large blocks) ${f(b.otherAnonMb)}`;
}

if (require.main === module) {
  const pid = Number(process.argv[2]);
  const every = Number(process.argv[3] ?? 5000);
  let top: RssBreakdown | null = null;
  const timer = setInterval(() => {
    const b = rssBreakdown(pid);
    if (!b) {
      clearInterval(timer);
      if (top) console.log(`highest: ${breakdownLine(top)}`);
      return;
    }
    if (!top || b.rssMb > top.rssMb) top = b;
    console.log(`${new Date().toISOString().slice(11, 19)} ${breakdownLine(b)}`);
  }, every);
}
