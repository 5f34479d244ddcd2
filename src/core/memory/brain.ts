/**
 * L1 brain files (M14): `.orchestration/brains/<role>.md`, written by the agent of that role and
 * injected into the prompt of the next one at spawn. The engine enforces a size cap: a brain over
 * the cap is injected cut at the cap, and an agent that may write its brain is asked to condense it
 * and is not done until it has (see spawn.ts).
 */
import { readAgentFile } from '../agents/agentFiles';

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
  // A brain that is a symlink, a folder or reached through a symlinked folder is not read: it could point anywhere.
  const text = readAgentFile(worktree, rel);
  return text === undefined ? undefined : { rel, text, bytes: Buffer.byteLength(text) };
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
