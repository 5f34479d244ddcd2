/**
 * The `.gitignore` the scaffold leaves for the chosen stack: installed dependencies and build output
 * must never reach a branch (a committed node_modules turns every merge into a conflict). Entries are
 * appended to an existing `.gitignore` only when missing, so an existing repository keeps its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const COMMON = ['node_modules/', '.venv/', '__pycache__/'];

/** Entries by runtime family; the runtime string is the architect's own (`node 22`, `python 3.11`, `TypeScript on Node`). */
const BY_FAMILY: ReadonlyArray<{ match: RegExp; entries: string[] }> = [
  { match: /node|javascript|typescript|deno|bun|npm|pnpm|yarn/i, entries: ['dist/', 'coverage/', '*.tsbuildinfo', '.npm/'] },
  { match: /python|py\b|pip|poetry|uv\b/i, entries: ['venv/', '*.py[cod]', '.pytest_cache/', '.mypy_cache/', '*.egg-info/', 'build/', 'dist/'] },
  { match: /\bgo\b|golang/i, entries: ['bin/'] },
  { match: /rust|cargo/i, entries: ['target/'] },
  { match: /java|kotlin|gradle|maven/i, entries: ['build/', 'target/', '.gradle/'] },
];

export function gitignoreEntries(runtime: string): string[] {
  const entries = [...COMMON];
  for (const family of BY_FAMILY) if (family.match.test(runtime)) entries.push(...family.entries);
  return [...new Set(entries)];
}

const HEADER = '# Build Pipeline: installed dependencies and build output (never committed)';

/** Appends the stack's missing entries to `<root>/.gitignore`; returns the entries added (none: file untouched). */
export function ensureGitignore(root: string, runtime: string): string[] {
  return ensureIgnored(root, gitignoreEntries(runtime));
}

/** Appends those of `entries` that `<root>/.gitignore` lacks; returns the entries added. */
export function ensureIgnored(root: string, entries: readonly string[]): string[] {
  const file = path.join(root, '.gitignore');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const present = new Set(existing.split(/\r?\n/).map((l) => l.trim()));
  const missing = entries.filter((e) => !present.has(e) && !present.has(e.replace(/\/$/, '')) && !present.has(`/${e}`));
  if (missing.length === 0) return [];
  const prefix = existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  fs.writeFileSync(file, `${existing}${prefix}${HEADER}\n${missing.join('\n')}\n`);
  return missing;
}
