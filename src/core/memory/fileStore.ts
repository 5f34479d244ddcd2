/**
 * The embedded memory store: plain files a person can read and git can diff, plus a persisted
 * full-text index. Layout under the root:
 *   summaries/<role>.jsonl   L2, one summary per line
 *   archive.jsonl            L3
 *   index.json               MiniSearch's serialized index (BM25 ranking, prefix and fuzzy match)
 * The JSONL files are the truth; the index is a cache, rebuilt when it is missing, unreadable or
 * out of step with them (a crash before it was saved, a hand edit, another version).
 *
 * The index is saved by `flush()` (the run does so before it publishes its memory, at the end of
 * every stage), not after every summary: it holds every summary, so rewriting it per summary wrote
 * O(N²) bytes over a run of N agents and built a string of the whole index each time.
 *
 * MiniSearch (MIT, no dependencies, runs in Node and the extension host) rather than our own
 * index: tokenizing, BM25 scoring, prefix/fuzzy terms and a stable serialization are what it is
 * for and what it is tested for; a few hundred lines of ours would do less.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import { writeFileAtomic } from '../run/runDir';
import { scrubJson, type Scrub } from '../run/scrub';
import { ArchiveRecordSchema, SessionSummarySchema, type ArchiveRecord, type MemoryHit, type MemoryStats, type MemoryStore, type SessionSummary } from './types';

interface IndexedDoc {
  id: string;
  layer: 'L2' | 'L3';
  source: string;
  text: string;
  at: string;
}

/**
 * 2: the index stores no fields. index.json is committed with the rest of the memory, so anyone who
 * can change the repository can change it; a hit's text, source and date are read from the JSONL
 * files (scrubbed and schema-checked when written), so a planted index can at most rank documents.
 */
const INDEX_VERSION = 2;
const SEARCH_OPTIONS = { fields: ['text', 'source'] };

/** Role names become file names: keep them to a safe alphabet. */
export function roleFileName(role: string): string {
  const safe = role.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  if (!safe) throw new Error(`memory role ${JSON.stringify(role.slice(0, 40))} has no usable name`);
  return `${safe}.jsonl`;
}

function readJsonl<T>(file: string, parse: (v: unknown) => T | undefined): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = parse(JSON.parse(line));
      if (v !== undefined) out.push(v);
    } catch {
      // A torn last line (crash mid-append) or a hand edit: skip it, keep the rest.
    }
  }
  return out;
}

function summaryText(s: SessionSummary): string {
  return [s.summary, ...s.decisions.map((d) => `Decision: ${d}`), ...s.openQuestions.map((q) => `Open: ${q}`)].join('\n');
}

export class FileMemoryStore implements MemoryStore {
  private index: MiniSearch<IndexedDoc> | undefined;
  /** The documents the index was built from, by id, as the JSONL files hold them: what a hit shows. */
  private docsById = new Map<string, IndexedDoc>();
  /** The index in memory holds documents index.json does not have yet. */
  private unsaved = false;
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * `scrub` is applied to every text before it is written: the store's files are committed into the
   * repository (see run/scrub.ts).
   */
  constructor(
    readonly root: string,
    private readonly scrub: Scrub = (text) => text,
  ) {}

  private get summariesDir(): string {
    return path.join(this.root, 'summaries');
  }
  private get archiveFile(): string {
    return path.join(this.root, 'archive.jsonl');
  }
  private get indexFile(): string {
    return path.join(this.root, 'index.json');
  }

  /** Writers run one after another, so a read-modify-write never loses another's line. */
  private serial<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private summaries(role?: string): SessionSummary[] {
    const files = role ? [roleFileName(role)] : fs.existsSync(this.summariesDir) ? fs.readdirSync(this.summariesDir).filter((f) => f.endsWith('.jsonl')).sort() : [];
    return files.flatMap((f) => readJsonl(path.join(this.summariesDir, f), (v) => SessionSummarySchema.safeParse(v).data));
  }

  private archived(): ArchiveRecord[] {
    return readJsonl(this.archiveFile, (v) => ArchiveRecordSchema.safeParse(v).data);
  }

  private docs(): IndexedDoc[] {
    // One document per id (the last line wins): a duplicated line must not break the index.
    const byId = new Map<string, IndexedDoc>();
    for (const d of this.allDocs()) byId.set(d.id, d);
    return [...byId.values()];
  }

  private allDocs(): IndexedDoc[] {
    return [
      ...this.summaries().map((s): IndexedDoc => ({ id: `L2:${s.id}`, layer: 'L2', source: `summary ${s.role} (${s.agentId}, ${s.at})`, text: summaryText(s), at: s.at })),
      ...this.archived().map((r): IndexedDoc => ({ id: `L3:${r.id}`, layer: 'L3', source: r.source, text: r.text, at: r.at })),
    ];
  }

  private loadIndex(): MiniSearch<IndexedDoc> {
    if (this.index) return this.index;
    const docs = this.docs();
    this.docsById = new Map(docs.map((d) => [d.id, d]));
    try {
      const saved = JSON.parse(fs.readFileSync(this.indexFile, 'utf8')) as { version?: number; count?: number; index?: unknown };
      if (saved.version === INDEX_VERSION && saved.count === docs.length && saved.index) {
        const idx = MiniSearch.loadJSON<IndexedDoc>(JSON.stringify(saved.index), SEARCH_OPTIONS);
        if (docs.every((d) => idx.has(d.id))) return (this.index = idx);
      }
    } catch {
      // Missing or unreadable: rebuilt below.
    }
    const idx = new MiniSearch<IndexedDoc>(SEARCH_OPTIONS);
    idx.addAll(docs);
    this.index = idx;
    this.saveIndex();
    return idx;
  }

  private saveIndex(): void {
    if (!this.index) return;
    fs.mkdirSync(this.root, { recursive: true });
    writeFileAtomic(this.indexFile, JSON.stringify({ version: INDEX_VERSION, count: this.index.documentCount, index: this.index.toJSON() }));
    this.unsaved = false;
  }

  /** Writes index.json if summaries or records were added since it was last written. */
  flush(): Promise<void> {
    return this.serial(() => {
      if (this.unsaved) this.saveIndex();
    });
  }

  addSummary(summary: SessionSummary): Promise<void> {
    return this.serial(() => {
      const s = SessionSummarySchema.parse(scrubJson(summary, this.scrub));
      const idx = this.loadIndex();
      fs.mkdirSync(this.summariesDir, { recursive: true });
      fs.appendFileSync(path.join(this.summariesDir, roleFileName(s.role)), JSON.stringify(s) + '\n');
      this.addDoc(idx, { id: `L2:${s.id}`, layer: 'L2', source: `summary ${s.role} (${s.agentId}, ${s.at})`, text: summaryText(s), at: s.at });
      this.unsaved = true;
    });
  }

  private addDoc(idx: MiniSearch<IndexedDoc>, doc: IndexedDoc): void {
    if (idx.has(doc.id)) idx.discard(doc.id);
    idx.add(doc);
    this.docsById.set(doc.id, doc);
  }

  async recentSummaries(role: string, limit: number): Promise<SessionSummary[]> {
    await this.tail;
    return limit <= 0 ? [] : this.summaries(role).slice(-limit);
  }

  archive(record: ArchiveRecord): Promise<void> {
    return this.serial(() => {
      const r = ArchiveRecordSchema.parse(scrubJson(record, this.scrub));
      const idx = this.loadIndex();
      fs.mkdirSync(this.root, { recursive: true });
      fs.appendFileSync(this.archiveFile, JSON.stringify(r) + '\n');
      this.addDoc(idx, { id: `L3:${r.id}`, layer: 'L3', source: r.source, text: r.text, at: r.at });
      this.unsaved = true;
    });
  }

  async search(query: string, limit: number): Promise<MemoryHit[]> {
    await this.tail;
    const q = query.trim().slice(0, 500);
    if (!q) return [];
    const hits = this.loadIndex().search(q, { prefix: true, fuzzy: 0.2, combineWith: 'OR' });
    const found: MemoryHit[] = [];
    for (const h of hits) {
      // An id the files do not hold (a planted index) is no hit.
      const doc = this.docsById.get(String(h.id));
      if (!doc) continue;
      found.push({ layer: doc.layer, source: doc.source, snippet: snippet(doc.text, h.terms), score: Math.round(h.score * 1000) / 1000, at: doc.at });
      if (found.length === Math.max(1, Math.min(limit, 50))) break;
    }
    return found;
  }

  compress(keep: number): Promise<number> {
    return this.serial(() => {
      if (!fs.existsSync(this.summariesDir)) return 0;
      let moved = 0;
      const archive: ArchiveRecord[] = [];
      // A crash between the archive's append and L2's rewrite leaves the summaries in both: on the
      // next compress they are already archived, and only their L2 copies go.
      const archivedIds = new Set(this.archived().map((r) => r.id));
      for (const f of fs.readdirSync(this.summariesDir).filter((x) => x.endsWith('.jsonl')).sort()) {
        const file = path.join(this.summariesDir, f);
        const all = readJsonl(file, (v) => SessionSummarySchema.safeParse(v).data);
        const old = all.slice(0, Math.max(0, all.length - keep));
        if (old.length === 0) continue;
        for (const s of old) if (!archivedIds.has(`summary-${s.id}`)) archive.push({ id: `summary-${s.id}`, kind: 'summary', role: s.role, at: s.at, source: `archived summary ${s.role} (${s.agentId}, ${s.at})`, text: summaryText(s) });
        // Archive first, then shorten L2: a crash in between leaves them in both, never a loss.
        fs.mkdirSync(this.root, { recursive: true });
        if (archive.length) fs.appendFileSync(this.archiveFile, archive.splice(0).map((r) => JSON.stringify(r) + '\n').join(''));
        writeFileAtomic(file, all.slice(old.length).map((s) => JSON.stringify(s) + '\n').join(''));
        moved += old.length;
      }
      if (moved > 0) {
        this.index = undefined;
        fs.rmSync(this.indexFile, { force: true });
        this.loadIndex();
      }
      return moved;
    });
  }

  async stats(): Promise<MemoryStats> {
    // Bytes on disk count the index as it stands.
    await this.flush();
    const l2ByRole: Record<string, number> = {};
    for (const s of this.summaries()) l2ByRole[s.role] = (l2ByRole[s.role] ?? 0) + 1;
    return { l2: Object.values(l2ByRole).reduce((a, b) => a + b, 0), l3: this.archived().length, l2ByRole, bytes: dirBytes(this.root) };
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/** Up to ~300 characters around the first matched term, so the agent sees why it matched. */
function snippet(text: string, terms: readonly string[]): string {
  const lower = text.toLowerCase();
  const at = terms.map((t) => lower.indexOf(t.toLowerCase())).filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? 0;
  const start = Math.max(0, at - 100);
  const out = text.slice(start, start + 300).replace(/\s+/g, ' ').trim();
  return (start > 0 ? '…' : '') + out + (start + 300 < text.length ? '…' : '');
}
