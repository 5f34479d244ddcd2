/**
 * Module names and relative paths come from the model, and they end up as folder names, branch
 * names (`orchestration/{runId}/{module}`), file names (`interfaces/{module}.interface.md`) and
 * text inside prompts and shell commands. Everything here is checked before any of that happens.
 *
 * The pattern in schemas.ts already decides what is allowed; the long list of explicit checks
 * below exists to give the architect a reason it can act on ("contains '/'") instead of a bare
 * "does not match the pattern", and so that each hostile case is visibly thought about.
 */
import { MODULE_NAME_MAX, MODULE_NAME_PATTERN } from './schemas';

/**
 * Names that pass the pattern but would still collide with something:
 * - `integration` would make the module branch equal the integration branch of the same run;
 * - `ship` is the trial merge's branch and worktree at the ship gate (`orchestration/<run>/ship`,
 *   ship/shipIntoBase.ts), which are removed after it: a module of that name would lose its branch;
 * - Windows device names cannot be folder names there, and a repository should stay portable.
 */
const RESERVED_MODULE_NAMES: ReadonlySet<string> = new Set([
  'integration',
  'ship',
  'con',
  'prn',
  'aux',
  'nul',
  ...Array.from({ length: 9 }, (_, i) => `com${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `lpt${i + 1}`),
]);

/** Characters a shell gives meaning to. A name containing one must never reach a command line. */
const SHELL_METACHARACTERS = new Set([...'$`;|&<>*?\'"(){}[]!#~']);

/** Characters git forbids in ref names (see `git check-ref-format`). */
const GIT_REF_METACHARACTERS = new Set([...'~^:?*[\\']);

/** Shows an untrusted value inside a message: quoted, escaped, and short, so it cannot break lines. */
export function quoteUntrusted(value: unknown, maxLength = 60): string {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  // JSON escapes C0 controls but not C1, line separators, bidi overrides or zero-width characters,
  // which would reorder or hide text in the terminal or editor showing the message.
  shown = shown.replace(/[\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  if (shown.length > maxLength) shown = `${shown.slice(0, maxLength)}…`;
  return shown;
}

function firstCharIn(text: string, set: ReadonlySet<string>): string | undefined {
  return [...text].find((ch) => set.has(ch));
}

/** Returns null when the name is a safe module name, otherwise the reason it is not. */
export function validateModuleName(name: unknown): string | null {
  if (typeof name !== 'string') return `module name must be a string, got ${name === null ? 'null' : typeof name}`;
  if (name.length === 0) return 'module name is empty';
  const shown = quoteUntrusted(name);
  if (name.length > MODULE_NAME_MAX) return `module name ${shown} is ${name.length} characters long; the maximum is ${MODULE_NAME_MAX}`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return `module name ${shown} contains a control character`;
  if (name.includes('..')) return `module name ${shown} contains '..' (path traversal)`;
  if (name.includes('/') || name.includes('\\')) return `module name ${shown} contains a path separator`;
  if (/\s/.test(name)) return `module name ${shown} contains whitespace`;
  if (name.includes('@{')) return `module name ${shown} contains '@{', which git reserves in ref names`;
  if (name.endsWith('.lock')) return `module name ${shown} ends in '.lock', which git forbids in ref names`;
  const gitChar = firstCharIn(name, GIT_REF_METACHARACTERS);
  if (gitChar !== undefined) return `module name ${shown} contains ${quoteUntrusted(gitChar)}, which git forbids in ref names`;
  const shellChar = firstCharIn(name, SHELL_METACHARACTERS);
  if (shellChar !== undefined) return `module name ${shown} contains the shell metacharacter ${quoteUntrusted(shellChar)}`;
  if (name.includes('.')) return `module name ${shown} contains '.'; use dashes`;
  if (/[A-Z]/.test(name)) return `module name ${shown} must be lowercase`;
  if (/[^a-z0-9-]/.test(name)) return `module name ${shown} contains a character other than a-z, 0-9 and '-'`;
  if (!/^[a-z]/.test(name)) return `module name ${shown} must start with a lowercase letter`;
  if (name.includes('--') || name.endsWith('-')) return `module name ${shown} must use single dashes between letters or digits`;
  // Every case above should have been caught; this keeps the schema pattern the final authority.
  if (!MODULE_NAME_PATTERN.test(name)) return `module name ${shown} does not match ${String(MODULE_NAME_PATTERN)}`;
  if (RESERVED_MODULE_NAMES.has(name)) return `module name ${shown} is reserved`;
  return null;
}

export class UnsafeNameError extends Error {
  constructor(
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'UnsafeNameError';
  }
}

export function assertSafeModuleName(name: unknown): asserts name is string {
  const problem = validateModuleName(name);
  if (problem !== null) throw new UnsafeNameError(name, problem);
}

/** Long enough for any real project path; stops a model from handing us megabytes as a "path". */
const RELATIVE_PATH_MAX = 1024;

/** Returns null when `p` is a safe path relative to some root, otherwise the reason it is not. */
export function relativePathProblem(p: unknown): string | null {
  if (typeof p !== 'string') return 'path must be a string';
  if (p.length === 0) return 'path is empty';
  const shown = quoteUntrusted(p);
  if (p.length > RELATIVE_PATH_MAX) return `path ${shown} is longer than ${RELATIVE_PATH_MAX} characters`;
  if (p.includes('\0')) return `path ${shown} contains a NUL byte`;
  if (/[\u0000-\u001f\u007f]/.test(p)) return `path ${shown} contains a control character`;
  // A backslash is a separator on Windows and an ordinary character on POSIX: either reading is a
  // way to smuggle a segment past the checks below, so it is refused everywhere.
  if (p.includes('\\')) return `path ${shown} contains a backslash`;
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return `path ${shown} is absolute`;
  if (p.split('/').some((segment) => segment === '..')) return `path ${shown} contains a '..' segment`;
  return null;
}

export function isSafeRelativePath(p: unknown): p is string {
  return relativePathProblem(p) === null;
}
