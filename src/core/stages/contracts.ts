/**
 * The contracts as the later stages see them: validated once after the architect, then loaded from
 * the integration worktree. Agents get their part of them (src/core/contracts/slice.ts): the shared
 * text, computed once here so it is byte-identical for every agent (one cached prefix), and a slice
 * per agent read from the folder when the agent starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locks, ModulesManifest } from '../contracts/schemas';
import { validateContracts } from '../contracts/validator';
import { CONTRACTS_DIR, sharedContracts, type ContractSource } from '../contracts/slice';

export { lockFlagsFor } from '../contracts/slice';

export const CONTRACTS_REL = CONTRACTS_DIR;

export interface LoadedContracts extends ContractSource {
  dir: string;
  manifest: ModulesManifest;
  locks: Locks;
  adrs: string[];
  /** The contract text every agent's system prompt shares (see slice.ts). */
  shared: string;
}

export async function loadContracts(worktree: string): Promise<LoadedContracts> {
  const dir = path.join(worktree, CONTRACTS_REL);
  const result = await validateContracts(dir);
  if (!result.ok || !result.manifest || !result.locks) {
    throw new Error(`contracts in ${dir} are not valid:\n${result.problems.map((p) => `  ${p.file}: ${p.message}`).join('\n')}`);
  }
  const source: ContractSource = { manifest: result.manifest, locks: result.locks, read: (rel) => readContract(dir, rel) };
  return { ...source, dir, adrs: result.adrs, shared: sharedContracts(source) };
}

/**
 * A contract file's text, or undefined. The paths come from our own code (interfaceFileFor of a
 * validated module name), but a path that leaves the folder is refused all the same.
 */
export function readContract(dir: string, rel: string): string | undefined {
  const full = path.resolve(dir, rel);
  if (!full.startsWith(path.resolve(dir) + path.sep)) return undefined;
  try {
    return fs.readFileSync(full, 'utf8');
  } catch {
    return undefined;
  }
}
