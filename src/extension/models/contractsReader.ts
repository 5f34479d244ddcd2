/**
 * Reads the architect's contracts from a run's integration worktree for the Locks view and the ADR
 * panel: `locks.json` (validated with the engine's schema) and the `decisions/NNN-topic.md` ADRs.
 * Missing or invalid files read as "nothing yet": the architect may still be writing them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksSchema, type Locks } from '../../core/contracts/schemas';
import { integrationWorktreeOf } from '../../core/run/runDir';
import { CONTRACTS_REL } from '../../core/stages/contracts';

export interface AdrFile {
  /** Absolute path of the markdown file. */
  file: string;
  number: string;
  /** The slug after the number, e.g. "auth-strategy". */
  topic: string;
  /** The first heading, or the topic. */
  title: string;
}

export function contractsDir(runDir: string): string {
  return path.join(integrationWorktreeOf(runDir), CONTRACTS_REL);
}

export type LocksRead = { ok: true; locks: Locks } | { ok: false; problem: string };

export function readLocks(runDir: string): LocksRead {
  const file = path.join(contractsDir(runDir), 'locks.json');
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return { ok: false, problem: 'no locks.json yet' };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, problem: 'locks.json is not valid JSON' };
  }
  const parsed = LocksSchema.safeParse(json);
  return parsed.success ? { ok: true, locks: parsed.data } : { ok: false, problem: 'locks.json does not match the schema' };
}

const ADR_NAME = /^(\d{1,4})-([a-z0-9][a-z0-9-]*)\.md$/i;

export function listAdrs(runDir: string): AdrFile[] {
  const dir = path.join(contractsDir(runDir), 'decisions');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const adrs: AdrFile[] = [];
  for (const name of names.sort()) {
    const m = ADR_NAME.exec(name);
    if (!m || !m[1] || !m[2]) continue;
    const file = path.join(dir, name);
    adrs.push({ file, number: m[1], topic: m[2], title: firstHeading(file) ?? m[2] });
  }
  return adrs;
}

function firstHeading(file: string): string | undefined {
  try {
    const head = fs.readFileSync(file, 'utf8').slice(0, 2000);
    const m = /^#{1,3}\s+(.+)$/m.exec(head);
    return m?.[1]?.trim().slice(0, 120);
  } catch {
    return undefined;
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** The ADR that records a lock decision: same slug, or one slug containing the other. */
export function adrForDecision(key: string, adrs: readonly AdrFile[]): AdrFile | undefined {
  const k = slug(key);
  if (!k) return undefined;
  return (
    adrs.find((a) => slug(a.topic) === k) ??
    adrs.find((a) => slug(a.topic).includes(k) || k.includes(slug(a.topic)))
  );
}
