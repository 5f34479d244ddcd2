/**
 * L1 brain files (M14): `.orchestration/brains/<role>.md`, written by the agent of that role and
 * injected into the prompt of the next one at spawn. The engine enforces a size cap: a brain over
 * the cap is injected cut at the cap, and an agent that may write its brain is asked to condense it
 * and is not done until it has (see spawn.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BRAINS_REL = '.orchestration/brains';

export function brainRel(role: string): string {
  return `${BRAINS_REL}/${role}.md`;
}

export interface BrainRead {
  rel: string;
  text: string;
  bytes: number;
}

export function readBrain(worktree: string, role: string): BrainRead | undefined {
  const rel = brainRel(role);
  try {
    const file = path.join(worktree, rel);
    // A brain that is a symlink or a folder is not read: it could point anywhere.
    if (!fs.lstatSync(file).isFile()) return undefined;
    const buf = fs.readFileSync(file);
    return { rel, text: buf.toString('utf8'), bytes: buf.length };
  } catch {
    return undefined;
  }
}

export function brainBytes(worktree: string, role: string): number {
  return readBrain(worktree, role)?.bytes ?? 0;
}

/** The first `cap` bytes of the text, cut at a character boundary. */
export function cutAtBytes(text: string, cap: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= cap) return text;
  return buf.subarray(0, cap).toString('utf8').replace(/\uFFFD+$/, '');
}
