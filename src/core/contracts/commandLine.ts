/**
 * What a command in `modules.json` may look like. The engine runs these commands (install, tests,
 * build, lint) and the human approves them verbatim at the blueprint gate, so what is shown must be
 * exactly what runs: one line, and no character that a terminal or an editor would hide or reorder
 * (control characters such as ESC, Unicode line separators, bidirectional overrides).
 * The content itself is not judged here: that is what the human approval is for.
 */
import { quoteUntrusted } from './names';

export const COMMAND_MAX = 1000;

/** Placeholders the engine fills into a module's test command. */
export const MODULE_PLACEHOLDERS = ['{module_dir}', '{module}'] as const;

/** C0/C1 controls (newline, CR, NUL, ESC, tab…), Unicode line/paragraph separators, bidi and zero-width controls. */
const INVISIBLE_OR_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

export type PlaceholderRule = 'required' | 'allowed' | 'forbidden';

/** Returns null when `value` is an acceptable command line, otherwise the reason it is not. */
export function commandProblem(value: unknown, label: string, placeholders: PlaceholderRule): string | null {
  if (typeof value !== 'string') return `${label} must be a string`;
  if (value.trim() === '') return `${label} is empty; give the command the engine should run`;
  const shown = quoteUntrusted(value, 80);
  if (value.length > COMMAND_MAX) return `${label} ${shown} is ${value.length} characters long; the maximum is ${COMMAND_MAX}`;
  if (/[\n\r]/.test(value)) return `${label} ${shown} spans more than one line; it must be one command line (join steps with &&)`;
  if (value.includes('\0')) return `${label} ${shown} contains a NUL byte`;
  const hidden = INVISIBLE_OR_BREAKING.exec(value);
  if (hidden) {
    const code = `U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `${label} ${shown} contains the invisible or control character ${code}; the command the human approves must read exactly as it runs`;
  }
  const used = MODULE_PLACEHOLDERS.filter((p) => value.includes(p));
  if (placeholders === 'required' && used.length === 0) {
    return `${label} ${shown} must contain {module_dir} (filled with the module's path) so that it runs one module's tests`;
  }
  if (placeholders === 'forbidden' && used.length > 0) {
    return `${label} ${shown} contains ${used[0]}, but it runs once for the whole project, not per module`;
  }
  return null;
}

/**
 * A dependency as a package manager spells it (`lodash@^4.17.21`, `@scope/pkg`, `requests>=2.31`,
 * `numpy[extra]==1.26`): one token, no whitespace, no quotes or shell syntax, and never starting with
 * `-`, where a package manager would read it as an option.
 */
const DEPENDENCY_PATTERN = /^[A-Za-z0-9@_.][A-Za-z0-9@/._~^<>=!*:+,[\]-]*$/;
export const DEPENDENCY_MAX = 214;

export function dependencyProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'a dependency must be a string';
  const shown = quoteUntrusted(value, 80);
  if (value.length === 0 || value.length > DEPENDENCY_MAX) return `dependency ${shown} must be 1 to ${DEPENDENCY_MAX} characters`;
  if (!DEPENDENCY_PATTERN.test(value)) {
    return `dependency ${shown} must be one package spec (letters, digits and @ / . _ ~ ^ < > = ! * : + , [ ] -), not starting with '-'`;
  }
  return null;
}
