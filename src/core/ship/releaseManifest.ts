/**
 * The shipping agent bumps the version in the project's manifest, and may change nothing else there:
 * `package.json` and `pyproject.toml` also hold install scripts, dependencies and build settings,
 * which run on the user's machine once the release is merged, and which no QC graded. The file tools
 * can only grant a whole file, so after the agent the engine compares each manifest with what it was
 * and keeps the version change alone; anything else it changed there is undone and reported.
 */
import { readWholeAgentFile, restoreFile } from '../agents/agentFiles';
import { fileAtCommit } from '../git/repo';

export const VERSIONED_MANIFESTS = ['package.json', 'pyproject.toml'] as const;

/** A version as manifests write it: `1.2.0`, `2.0.0-rc.1`, `1.0.0+build.5`. Anything else is not taken. */
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;

export type ManifestTexts = ReadonlyMap<string, string | undefined>;

/**
 * The manifests as committed at `commit` (the engine's head before the agent): not the worktree's
 * copies, which a shipping agent stopped before its changes were judged may have left changed.
 */
export async function committedManifests(root: string, commit: string): Promise<ManifestTexts> {
  return new Map(await Promise.all(VERSIONED_MANIFESTS.map(async (rel) => [rel, await fileAtCommit(root, commit, rel)] as const)));
}

/**
 * Brings each manifest back to what it was, with the agent's new version kept when that is the only
 * change it may make. Returns one line per manifest where something else was undone.
 */
export function keepVersionChangesOnly(root: string, before: ManifestTexts): string[] {
  const undone: string[] = [];
  for (const [rel, old] of before) {
    const now = readWholeAgentFile(root, rel);
    if (now === old) continue;
    const kept = old === undefined ? undefined : rel === 'package.json' ? packageJsonWithVersionOf(old, now) : pyprojectWithVersionOf(old, now);
    if (kept === now) continue;
    restoreFile(root, rel, kept);
    undone.push(
      old === undefined
        ? `${rel} did not exist; the shipping agent may not create a manifest, so it was removed`
        : `${rel}: the shipping agent changed more than the version; the rest was undone${kept === old ? '' : ' (its version change kept)'}`,
    );
  }
  return undone;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON text with object keys in one order, so two values compare as equal whatever their layout. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`).join(',')}}`;
  return JSON.stringify(v);
}

function parseObject(text: string | undefined): Record<string, Json> | undefined {
  try {
    const v = JSON.parse(text ?? '') as Json;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `old` with the top-level `version` of `now`, or `now` itself when the version is all that changed. */
function packageJsonWithVersionOf(old: string, now: string | undefined): string {
  const before = parseObject(old);
  const after = parseObject(now);
  if (!before || !after) return old;
  const { version: newVersion, ...afterRest } = after;
  const { version: oldVersion, ...beforeRest } = before;
  if (typeof newVersion !== 'string' || !VERSION.test(newVersion)) return old;
  if (canonical(afterRest) === canonical(beforeRest) && now !== undefined) return now;
  if (typeof oldVersion !== 'string') return JSON.stringify({ ...before, version: newVersion }, null, 2) + '\n';
  // The old text with its version value replaced, so the file keeps its layout; checked by parsing back.
  const replaced = old.replace(/("version"\s*:\s*")([^"\\]*)(")/, (_m, a: string, _v: string, b: string) => `${a}${newVersion}${b}`);
  const check = parseObject(replaced);
  const { version: checkVersion, ...checkRest } = check ?? {};
  return check && checkVersion === newVersion && canonical(checkRest) === canonical(beforeRest) ? replaced : JSON.stringify({ ...before, version: newVersion }, null, 2) + '\n';
}

const TOML_VERSION = /^(\s*version\s*=\s*)(["'])([^"'\n]*)\2(\s*(#.*)?)$/;
const TOML_TABLE = /^\s*\[([^\]]+)\]\s*(#.*)?$/;

/** The index of the project's own `version = "…"` line: in `[project]` or `[tool.poetry]`, not a dependency's table. */
function projectVersionLine(lines: readonly string[]): number {
  let table = '';
  for (let i = 0; i < lines.length; i++) {
    const header = TOML_TABLE.exec(lines[i]!);
    if (header) table = header[1]!.trim();
    else if ((table === 'project' || table === 'tool.poetry') && TOML_VERSION.test(lines[i]!)) return i;
  }
  return -1;
}

/**
 * `old` with the project's version line as `now` has it, or `now` itself when that line is all that
 * differs. A TOML parser is not needed for this: the rule is line by line, and only the project's
 * plain version assignment may change, to a value that is a version.
 */
function pyprojectWithVersionOf(old: string, now: string | undefined): string {
  if (now === undefined) return old;
  const a = old.split('\n');
  const b = now.split('\n');
  const oldAt = projectVersionLine(a);
  const newAt = projectVersionLine(b);
  const newVersion = newAt < 0 ? undefined : TOML_VERSION.exec(b[newAt]!)![3]!;
  if (oldAt < 0 || newVersion === undefined || !VERSION.test(newVersion)) return old;
  const onlyVersion = a.length === b.length && oldAt === newAt && a.every((line, i) => line === b[i] || i === oldAt);
  if (onlyVersion) return now;
  const m = TOML_VERSION.exec(a[oldAt]!)!;
  a[oldAt] = `${m[1]}${m[2]}${newVersion}${m[2]}${m[4] ?? ''}`;
  return a.join('\n');
}
