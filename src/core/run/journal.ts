/**
 * The event journal: one JSON line per engine event, appended as it happens. Secrets are redacted
 * before anything reaches the disk, since tool output is model-influenced and could echo them.
 */
import * as fs from 'node:fs';
import type { PipelineEvent } from '../events';

const SECRET_PATTERNS = [/sk-ant-[A-Za-z0-9_-]{8,}/g, /\bsk-[A-Za-z0-9]{20,}/g];
/** Journal lines are for people; a tool output of megabytes is cut to keep the journal readable. */
const MAX_FIELD = 4000;

/**
 * Shorter values are not redacted: a 4-character token would also blank out every word that happens
 * to match it, and no credential worth the name is that short.
 */
export const MIN_SECRET_LENGTH = 8;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH) out = out.split(s).join('[redacted]');
  for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
  return out;
}

export class Journal {
  /** Bytes appended by this process (the bench reports them per module). */
  bytesWritten = 0;

  constructor(
    private readonly file: string,
    private readonly secrets: readonly string[] = [],
  ) {}

  append(event: PipelineEvent): void {
    const line = JSON.stringify({ at: new Date().toISOString(), ...event }, (_k, v) =>
      typeof v === 'string' ? truncate(redact(v, this.secrets)) : v,
    );
    fs.appendFileSync(this.file, line + '\n');
    this.bytesWritten += Buffer.byteLength(line) + 1;
  }
}

function truncate(s: string): string {
  return s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}… [${s.length - MAX_FIELD} more characters]` : s;
}

/**
 * How many events of `type` the journal holds, counted in its text: `status` needs one count, not every
 * event parsed. The type is the line's own field; a model's text inside a line is JSON-escaped
 * (`\"type\"`), so it cannot read as one.
 */
export function countJournalEvents(file: string, type: PipelineEvent['type']): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  return text.split(`,"type":${JSON.stringify(type)}`).length - 1;
}

export function readJournal(file: string): Array<PipelineEvent & { at: string }> {
  if (!fs.existsSync(file)) return [];
  const out: Array<PipelineEvent & { at: string }> = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A line cut short by a crash is skipped; everything before it is intact.
    }
  }
  return out;
}
