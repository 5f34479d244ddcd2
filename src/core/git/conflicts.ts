/**
 * Which merge conflicts the assembler may resolve by itself (SPEC M8: "trivial conflicts (import
 * order, whitespace) are resolved automatically and recorded"). Pure text in, text out.
 *
 * A hunk is trivial only when a mechanical rule decides it without understanding the code:
 * 1. whitespace: both sides are the same code after normalising whitespace. We take THEIRS — the
 *    module branch being merged — because that exact text is what the module's QC graded; the
 *    whitespace on our side came from the scaffold or an earlier module and carries no meaning.
 *    Leading indentation must match exactly: in Python, YAML and Makefiles it is meaning, not layout.
 * 2. import order: both sides consist only of single-line import statements. The resolution is the
 *    sorted, de-duplicated union of both sides' lines. The union (rather than honouring a side's
 *    removal against the base) is deliberate: an extra import is at worst unused, a dropped one
 *    breaks the module that needed it. If the union would import the same module through two
 *    different lines (`import {a} from './x'` vs `import {a, b} from './x'`), merging them takes
 *    judgement and the hunk is not trivial.
 * Everything else is not trivial, and the assembler stops with a conflict report.
 */

export interface ConflictHunk {
  /** 1-based line of the `<<<<<<<` marker in the conflicted file. */
  startLine: number;
  /** Each side's text, lines kept with their terminators. `base` is null without diff3 markers. */
  ours: string;
  base: string | null;
  theirs: string;
}

export type Segment = { kind: 'text'; text: string } | { kind: 'hunk'; hunk: ConflictHunk };

export type ParsedConflict = { ok: true; segments: Segment[]; hunks: ConflictHunk[] } | { ok: false; error: string };

export type TrivialRule = 'whitespace' | 'import-order';

export type HunkDecision = { trivial: true; rule: TrivialRule; resolution: string } | { trivial: false; reason: string };

/** Marker lines are seven characters, then a space and a label, or the end of the line. */
function isMarker(line: string, marker: string): boolean {
  if (!line.startsWith(marker)) return false;
  const rest = line.slice(marker.length);
  return rest === '' || rest === '\n' || rest === '\r\n' || rest.startsWith(' ');
}

function splitLinesKeepingEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Splits a conflicted file into plain text and hunks; malformed markers make it unparseable. */
export function parseConflictedText(text: string): ParsedConflict {
  const segments: Segment[] = [];
  const hunks: ConflictHunk[] = [];
  let plain = '';
  let state: 'text' | 'ours' | 'base' | 'theirs' = 'text';
  let current: { startLine: number; ours: string; base: string | null; theirs: string } | null = null;
  const lines = splitLinesKeepingEnds(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNumber = i + 1;
    if (state === 'text') {
      if (isMarker(line, '<<<<<<<')) {
        if (plain !== '') segments.push({ kind: 'text', text: plain });
        plain = '';
        current = { startLine: lineNumber, ours: '', base: null, theirs: '' };
        state = 'ours';
      } else if (isMarker(line, '>>>>>>>') || isMarker(line, '|||||||')) {
        return { ok: false, error: `line ${lineNumber}: conflict marker outside a conflict` };
      } else {
        plain += line;
      }
      continue;
    }
    if (current === null) return { ok: false, error: `line ${lineNumber}: parser lost its hunk` };
    if (isMarker(line, '<<<<<<<')) return { ok: false, error: `line ${lineNumber}: nested conflict marker` };
    if (state === 'ours' && isMarker(line, '|||||||')) {
      current.base = '';
      state = 'base';
    } else if ((state === 'ours' || state === 'base') && isMarker(line, '=======')) {
      state = 'theirs';
    } else if (state === 'theirs' && isMarker(line, '>>>>>>>')) {
      hunks.push(current);
      segments.push({ kind: 'hunk', hunk: current });
      current = null;
      state = 'text';
    } else if (isMarker(line, '>>>>>>>') || isMarker(line, '|||||||')) {
      return { ok: false, error: `line ${lineNumber}: conflict marker out of order` };
    } else if (state === 'ours') {
      current.ours += line;
    } else if (state === 'base') {
      current.base = (current.base ?? '') + line;
    } else {
      current.theirs += line;
    }
  }
  if (state !== 'text') return { ok: false, error: 'the file ends inside a conflict' };
  if (plain !== '') segments.push({ kind: 'text', text: plain });
  return { ok: true, segments, hunks };
}

/** Trailing whitespace, line endings, blank lines and runs of inner spaces do not count; indentation does. */
function normalizeWhitespace(text: string): string[] {
  return splitLinesKeepingEnds(text)
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line !== '')
    .map((line) => {
      const indent = /^[ \t]*/.exec(line)![0];
      return indent + line.slice(indent.length).replace(/[ \t]+/g, ' ');
    });
}

/** Single-line import statements; the capture group is the imported module. */
const IMPORT_PATTERNS: readonly RegExp[] = [
  // JS/TS: import x from 'm'; import { a, b as c } from "m"; import * as ns from 'm'; import type { T } from 'm'
  /^import\s+(?:type\s+)?(?:[\w$]+\s*,?\s*)?(?:\{[^{}]*\}|\*\s+as\s+[\w$]+)?\s*from\s+['"]([^'"]+)['"]\s*;?$/,
  // JS/TS side-effect import: import 'm';
  /^import\s+['"]([^'"]+)['"]\s*;?$/,
  // CommonJS: const x = require('m'); const { a, b } = require("m");
  /^(?:const|let|var)\s+(?:[\w$]+|\{[^{}]*\})\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)\s*;?$/,
  // Re-exports: export * from 'm'; export * as ns from 'm'; export { a } from 'm'; export type { T } from 'm'
  /^export\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^{}]*\})\s*from\s+['"]([^'"]+)['"]\s*;?$/,
  // Python: import os; import os.path as p; import a, b
  /^import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)\s*$/,
  // Python: from pkg.mod import a, b as c; from . import x; from m import (a, b)
  /^from\s+(\.*[\w.]*)\s+import\s+(?:\*|\(?\s*\w+(?:\s+as\s+\w+)?(?:\s*,\s*\w+(?:\s+as\s+\w+)?)*\s*,?\s*\)?)\s*$/,
];

function importedModule(statement: string): string | null {
  for (const pattern of IMPORT_PATTERNS) {
    const match = pattern.exec(statement);
    if (match) return match[1] ?? null;
  }
  return null;
}

interface ImportLine {
  indent: string;
  statement: string;
  module: string;
}

/** The hunk side as import lines, or null if any non-blank line is something else. */
function asImportLines(text: string): ImportLine[] | null {
  const out: ImportLine[] = [];
  for (const raw of splitLinesKeepingEnds(text)) {
    const line = raw.replace(/\s+$/, '');
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)![0];
    const statement = line.slice(indent.length);
    const module = importedModule(statement);
    if (module === null) return null;
    out.push({ indent, statement, module });
  }
  return out;
}

function lineEnding(text: string): string {
  return /\r\n/.test(text) ? '\r\n' : '\n';
}

function countByModule(lines: readonly ImportLine[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of new Set(lines.map((l) => `${l.module}\0${l.statement}`))) {
    const module = line.split('\0')[0]!;
    counts.set(module, (counts.get(module) ?? 0) + 1);
  }
  return counts;
}

function decideImportOrder(hunk: ConflictHunk): HunkDecision {
  const ours = asImportLines(hunk.ours);
  const theirs = asImportLines(hunk.theirs);
  if (ours === null || theirs === null) return { trivial: false, reason: 'the sides differ in more than whitespace and are not only import lines' };
  const all = [...ours, ...theirs];
  if (all.length === 0) return { trivial: false, reason: 'the hunk has no import lines' };
  const indents = new Set(all.map((l) => l.indent));
  if (indents.size > 1) return { trivial: false, reason: 'the import lines are indented differently' };
  const union = countByModule(all);
  const oursCount = countByModule(ours);
  const theirsCount = countByModule(theirs);
  for (const [module, count] of union) {
    if (count > Math.max(oursCount.get(module) ?? 0, theirsCount.get(module) ?? 0)) {
      return { trivial: false, reason: `both sides import ${JSON.stringify(module)} in different ways` };
    }
  }
  const indent = all[0]!.indent;
  const eol = lineEnding(hunk.ours + hunk.theirs);
  const statements = [...new Set(all.map((l) => l.statement))].sort();
  return { trivial: true, rule: 'import-order', resolution: statements.map((s) => `${indent}${s}${eol}`).join('') };
}

export function decideHunk(hunk: ConflictHunk): HunkDecision {
  const ours = normalizeWhitespace(hunk.ours);
  const theirs = normalizeWhitespace(hunk.theirs);
  if (ours.length === theirs.length && ours.every((line, i) => line === theirs[i])) {
    return { trivial: true, rule: 'whitespace', resolution: hunk.theirs };
  }
  return decideImportOrder(hunk);
}

export interface HunkResolution {
  startLine: number;
  rule: TrivialRule;
}

export interface NonTrivialHunk {
  startLine: number;
  reason: string;
}

export type TextResolution =
  | { ok: true; text: string; resolved: HunkResolution[] }
  | { ok: false; nonTrivial: NonTrivialHunk[] };

/** Resolves every hunk in a conflicted file, or lists the hunks that are not trivial. */
export function resolveConflictedText(text: string): TextResolution {
  const parsed = parseConflictedText(text);
  if (!parsed.ok) return { ok: false, nonTrivial: [{ startLine: 0, reason: `cannot parse conflict markers: ${parsed.error}` }] };
  if (parsed.hunks.length === 0) return { ok: false, nonTrivial: [{ startLine: 0, reason: 'the file has no conflict markers' }] };
  let out = '';
  const resolved: HunkResolution[] = [];
  const nonTrivial: NonTrivialHunk[] = [];
  for (const segment of parsed.segments) {
    if (segment.kind === 'text') {
      out += segment.text;
      continue;
    }
    const decision = decideHunk(segment.hunk);
    if (decision.trivial) {
      out += decision.resolution;
      resolved.push({ startLine: segment.hunk.startLine, rule: decision.rule });
    } else {
      nonTrivial.push({ startLine: segment.hunk.startLine, reason: decision.reason });
    }
  }
  return nonTrivial.length > 0 ? { ok: false, nonTrivial } : { ok: true, text: out, resolved };
}
