/**
 * Where module code lives (`path` per module in modules.json, default `src/<module>`), checked before
 * the path becomes a worktree folder, a write permission for a builder, or `{module_dir}` inside a
 * shell command: relative and inside the repository, made of plain segments, never under
 * `.orchestration/` (the contracts and the engine's files) or a dependency folder, and no two modules
 * (or a module and the shared types) nested in each other, because a builder may change everything
 * under its path and two builders must never own the same file.
 */
import { quoteUntrusted, relativePathProblem } from './names';

/** A plain path segment: letters, digits, `.`, `_`, `-`; not hidden, not an option (`-x`). */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Folders that hold installed or generated files; code placed there would never be committed. */
const GENERATED_SEGMENTS = new Set(['node_modules', '__pycache__', 'dist', 'build', 'target', '.venv', 'venv']);

/** Returns null when `p` can be a module (or shared-types) path, otherwise the reason it is not. */
export function modulePathProblem(p: unknown, label: string): string | null {
  const basic = relativePathProblem(p);
  if (basic !== null) return `${label}: ${basic}`;
  const value = (p as string).replace(/\/+$/, '');
  const shown = quoteUntrusted(p, 80);
  if (value === '' || value === '.') return `${label} ${shown} is the repository root; give the module a folder of its own`;
  const segments = value.split('/');
  if (segments[0] === '.orchestration' || segments[0] === '.git') {
    return `${label} ${shown} is under ${segments[0]}/, which belongs to the engine; module code must live elsewhere`;
  }
  for (const segment of segments) {
    if (segment === '') return `${label} ${shown} contains an empty segment ('//')`;
    if (!SEGMENT.test(segment)) {
      return `${label} ${shown} has the segment ${quoteUntrusted(segment)}; use letters, digits, '.', '_' and '-', not starting with '.' or '-'`;
    }
    if (GENERATED_SEGMENTS.has(segment)) return `${label} ${shown} is inside ${segment}/, a folder for installed or generated files`;
  }
  return null;
}

/** Whether one path is the other or lies inside it (segment-wise: `src/a` does not contain `src/ab`). */
export function pathsOverlap(a: string, b: string): boolean {
  const x = a.replace(/\/+$/, '');
  const y = b.replace(/\/+$/, '');
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}
