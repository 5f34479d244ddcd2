/**
 * Text the engine commits into the repository from agents' words: memory (session summaries,
 * superseded contract text), builders' brain files and training pairs. It ships with the code and may
 * be pushed, so it must not carry a secret (an MCP server's token a tool result echoed) or this
 * machine's paths (the run directory under the user's home, which names the user). Secrets are
 * redacted as in the journal; a path into an engine worktree becomes the path inside it, and the run
 * directory, the repository and the home folder are named by what they are.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { redact } from './journal';

export type Scrub = (text: string) => string;

export interface ScrubPlaces {
  /** The run directory: its `worktrees/<name>/` prefix is dropped, the rest named `<run dir>`. */
  runDir: string;
  /** The user's repository (its checkout): `<repo>`. */
  repoRoot: string;
  /** The user's home folder: `~`. Defaults to this process's. */
  home?: string;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function makeScrubber(secrets: readonly string[], places: ScrubPlaces): Scrub {
  const home = places.home ?? os.homedir();
  const worktrees = path.join(places.runDir, 'worktrees');
  // A path ends where no name character follows (`/home/al` must not eat `/home/alice`); a dot, a
  // colon or a backslash (JSON text: `\n`, `\"`) may follow.
  const whole = (p: string) => `${escaped(p)}(?![\\w-])`;
  const worktree = `${escaped(worktrees)}/[\\w.-]+`;
  // Longest first: the run directory lies inside the repository's `.git`, which lies under the home.
  const rules: Array<[RegExp, string]> = [
    [new RegExp(`${worktree}/`, 'g'), ''],
    [new RegExp(`${worktree}(?![\\w-])`, 'g'), '.'],
    [new RegExp(whole(places.runDir), 'g'), '<run dir>'],
    [new RegExp(whole(places.repoRoot), 'g'), '<repo>'],
    ...(home && home !== path.sep ? [[new RegExp(whole(home), 'g'), '~'] as [RegExp, string]] : []),
  ];
  return (text) => {
    let out = redact(text, secrets);
    for (const [pattern, by] of rules) out = out.replace(pattern, by);
    return out;
  };
}

/** Every string inside a JSON-shaped value, scrubbed (keys stay as they are). */
export function scrubJson<T>(value: T, scrub: Scrub): T {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? scrub(v) : v))) as T;
}
