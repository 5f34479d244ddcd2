/**
 * The contracts as the later stages see them: validated once after the architect, then loaded from
 * the integration worktree. The bundle text is the shared, cacheable part of every builder's and QC
 * agent's system prompt, so it must be byte-identical for all of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locks, ModulesManifest } from '../contracts/schemas';
import { validateContracts } from '../contracts/validator';

export const CONTRACTS_REL = '.orchestration/contracts';

export interface LoadedContracts {
  dir: string;
  manifest: ModulesManifest;
  locks: Locks;
  adrs: string[];
  bundle: string;
}

const BUNDLE_LIMIT = 400_000;

export async function loadContracts(worktree: string): Promise<LoadedContracts> {
  const dir = path.join(worktree, CONTRACTS_REL);
  const result = await validateContracts(dir);
  if (!result.ok || !result.manifest || !result.locks) {
    throw new Error(`contracts in ${dir} are not valid:\n${result.problems.map((p) => `  ${p.file}: ${p.message}`).join('\n')}`);
  }
  return { dir, manifest: result.manifest, locks: result.locks, adrs: result.adrs, bundle: contractsBundle(dir, result.manifest) };
}

export function contractsBundle(dir: string, manifest: ModulesManifest): string {
  const files = [
    'architecture.md',
    'modules.json',
    'locks.json',
    'interfaces/shared-types.md',
    ...manifest.modules.map((m) => m.interface),
  ];
  let out = '';
  for (const rel of files) {
    const text = fs.readFileSync(path.join(dir, rel), 'utf8');
    out += `\n### ${CONTRACTS_REL}/${rel}\n\`\`\`\`\n${text.trimEnd()}\n\`\`\`\`\n`;
    if (out.length > BUNDLE_LIMIT) {
      out += `\n(The remaining contract files are not inlined; read them from ${CONTRACTS_REL}/.)\n`;
      break;
    }
  }
  return out.trim();
}

/** Lock flags that bind a module, one line each, for its builder's prompt. */
export function lockFlagsFor(locks: Locks, module: string): string {
  const lines: string[] = [];
  for (const [kind, entries] of [['decision', locks.decisions], ['interface', locks.interfaces]] as const) {
    for (const [key, e] of Object.entries(entries)) {
      if (e.affects.length > 0 && !e.affects.includes(module)) continue;
      lines.push(`- ${kind} ${key} [${e.lock_level}] (locked by ${e.locked_by}): ${e.assertion}`);
    }
  }
  return lines.length ? lines.join('\n') : '- none';
}
