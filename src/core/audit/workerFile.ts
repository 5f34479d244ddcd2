/**
 * The file-based protocol between workers and coordinators (seed 000, v1.1): a worker's file counts
 * only if it exists and its last non-blank line is the DONE sentinel. The engine classifies every
 * file itself, so neither a coordinator nor the report can take a half-written file for a finished one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DONE_LINE = '<!-- DONE -->';

export type WorkerFileStatus = 'done' | 'missing' | 'unfinished';

export function workerId(domain: string, index: number): string {
  return `${domain}-${index}`;
}

export function workerFile(workersDir: string, id: string): string {
  return path.join(workersDir, `${id}.md`);
}

export function synthesisFile(synthesisDir: string, domain: string): string {
  return path.join(synthesisDir, `${domain}.md`);
}

/** Whether `text` ends with the DONE sentinel on a line of its own. */
export function endsWithDone(text: string): boolean {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1) === DONE_LINE;
}

export function classifyFile(file: string): WorkerFileStatus {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 'missing';
  }
  return endsWithDone(text) ? 'done' : 'unfinished';
}
