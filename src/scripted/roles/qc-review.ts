/**
 * How the scripted QC grades a module: only from what it read and ran in this conversation (the
 * interface, the code, the tests' output, a grep for credentials), never from knowing the scenario.
 * A flawed build is caught because the evidence shows the flaw, exactly as a real reviewer would.
 */
import { documentedErrors, publicFunctions, type DocumentedError } from '../projects/interfaces';
import type { ModulePlan } from '../projects/plan';
import { excerpt } from '../reply';
import { failureLineIn, testCounts } from './test-output';

export interface Finding {
  severity: 'CRITICAL' | 'MAJOR' | 'MINOR';
  file: string;
  line: number | null;
  text: string;
}

export interface QcEvidence {
  interfacePath: string;
  sourcePath: string;
  testPath: string;
  moduleDir: string;
  interfaceDoc?: { ok: boolean; text: string };
  source?: { ok: boolean; text: string };
  tests?: { ok: boolean; text: string };
  testRun?: { ok: boolean; output: string; command: string };
  secretGrep?: { ok: boolean; text: string };
  /** The configured test command when it passed without running the module's tests. */
  vacuousCommand?: string;
  /** Paths the engine says the builder changed outside its module folder. */
  outOfScope: string[];
  /** The module as the model knows it, used only where the contract could not be read. */
  fallback: ModulePlan;
}

export interface QcReview {
  verdict: 'PASS' | 'FAIL-MAJOR' | 'FAIL-CRITICAL';
  summary: string;
  tests_run: boolean;
  tests_passed: boolean;
  findings: Finding[];
}

export const SECRET_PATTERN = `sk-(live|test)-[A-Za-z0-9]{8,}|(API_?TOKEN|API_?KEY|SECRET|PASSWORD)\\s*=\\s*["'][^"']+["']`;

/** The Errors section lines of an interface, in the shape the scripted architect writes them. */
export function contractErrors(doc: string): DocumentedError[] {
  const out: DocumentedError[] = [];
  const re = /^- `(\w+)` with message `([^`]+)`: thrown by `(\w+)` when (.*)$/gm;
  for (const m of doc.matchAll(re)) out.push({ type: m[1]!, message: m[2]!, thrownBy: m[3]!, when: m[4]! });
  return out;
}

/** Function names listed in the interface's Public API code block (`name(args) -> type`). */
export function contractFunctions(doc: string): string[] {
  const api = /## Public API\n```\w*\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return [...api.matchAll(/^(\w+)\(/gm)].map((m) => m[1]!);
}

function lineOf(text: string, needle: RegExp): number | null {
  const i = text.split('\n').findIndex((l) => needle.test(l));
  return i >= 0 ? i + 1 : null;
}

/** A message with `<placeholders>` is present when each literal piece of it is. */
function messagePresent(code: string, message: string): boolean {
  return message
    .split(/<[^>]+>/)
    .map((p) => p.trim())
    .filter(Boolean)
    .every((piece) => code.includes(piece));
}

/** `/abs/worktree/src/m/index.js` → `src/m/index.js`, from the module folder on. */
function relativeToRepo(file: string, moduleDir: string): string {
  const at = file.replace(/\\/g, '/').lastIndexOf(`${moduleDir}/`);
  return at >= 0 ? file.slice(at) : file;
}

function secretFindings(e: QcEvidence, code: string): Finding[] {
  const text = `hardcoded credential in the module (ADR-002 forbids secrets in code); remove it and load credentials from the environment`;
  if (e.secretGrep?.ok && e.secretGrep.text.trim() !== 'no matches') {
    return e.secretGrep.text
      .split('\n')
      .map((l) => /^(.*?):(\d+):(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ severity: 'CRITICAL' as const, file: relativeToRepo(m[1]!, e.moduleDir), line: Number(m[2]), text: `${text}: ${excerpt(m[3]!.trim(), 200)}` }));
  }
  if (e.secretGrep === undefined) {
    const line = lineOf(code, new RegExp(SECRET_PATTERN));
    if (line !== null) return [{ severity: 'CRITICAL', file: e.sourcePath, line, text }];
  }
  return [];
}

function testFindings(e: QcEvidence): Finding[] {
  const findings: Finding[] = [];
  if (!e.tests?.ok) findings.push({ severity: 'MAJOR', file: e.testPath, line: null, text: `no unit tests: ${e.testPath} could not be read (${excerpt(e.tests?.text ?? 'not read', 200)})` });
  if (e.testRun && !e.testRun.ok) {
    // Failing tests are the builder's to fix in a fix cycle (MAJOR), not a reason to stop every module.
    findings.push({ severity: 'MAJOR', file: e.testPath, line: failureLineIn(e.testRun.output, e.testPath.split('/').at(-1) ?? ''), text: `tests fail (\`${e.testRun.command}\`): ${excerpt(e.testRun.output, 1500)}` });
  } else if (e.testRun && testCounts(e.testRun.output).tests === 0) {
    findings.push({ severity: 'MAJOR', file: e.testPath, line: null, text: `\`${e.testRun.command}\` ran no tests` });
  }
  return findings;
}

function contractFindings(e: QcEvidence, code: string): Finding[] {
  const doc = e.interfaceDoc?.ok ? e.interfaceDoc.text : undefined;
  const functions = doc ? contractFunctions(doc) : [];
  const errors = doc ? contractErrors(doc) : [];
  const fns = functions.length ? functions : publicFunctions(e.fallback);
  const errs = errors.length ? errors : documentedErrors(e.fallback);
  const findings: Finding[] = [];
  for (const fn of fns) {
    if (!new RegExp(`\\bfunction ${fn}\\b|\\b${fn}\\s*[:=]|\\bdef ${fn}\\s*\\(`).test(code)) {
      // A missing function is a contract mismatch inside the module: a fix cycle repairs it (MAJOR).
      findings.push({ severity: 'MAJOR', file: e.sourcePath, line: null, text: `\`${fn}\` required by ${e.interfacePath} is not implemented` });
    }
  }
  for (const err of errs.filter((x) => fns.includes(x.thrownBy))) {
    if (messagePresent(code, err.message)) continue;
    findings.push({
      severity: 'MAJOR',
      file: e.sourcePath,
      line: lineOf(code, new RegExp(`(function|def) ${err.thrownBy}\\b`)),
      text: `\`${err.thrownBy}\` never throws the documented ${err.type} "${err.message}" (${e.interfacePath}, Errors): the input validation the contract and ADR-002 require is missing (${err.when}).`,
    });
  }
  return findings;
}

export function reviewModule(e: QcEvidence): QcReview {
  const findings: Finding[] = [];
  const code = e.source?.ok ? e.source.text : '';
  if (!e.source?.ok) {
    findings.push({ severity: 'MAJOR', file: e.sourcePath, line: null, text: `the module's code could not be read: ${excerpt(e.source?.text ?? 'not read', 200)}` });
  } else if (/not implemented/.test(code)) {
    findings.push({ severity: 'MAJOR', file: e.sourcePath, line: lineOf(code, /not implemented/), text: 'the module is still the scaffold stub' });
  } else {
    findings.push(...secretFindings(e, code), ...contractFindings(e, code));
  }
  findings.push(...testFindings(e));
  if (e.vacuousCommand) {
    findings.push({
      severity: 'MINOR',
      file: e.testPath,
      line: null,
      text: `the configured test command \`${e.vacuousCommand}\` runs ${e.moduleDir}/index.js as the test file (Node 22+ treats a folder argument as a module), so none of the module's tests run through it; graded with \`${e.testRun?.command ?? ''}\` instead`,
    });
  }
  for (const p of e.outOfScope) {
    findings.push({
      severity: 'MINOR',
      file: p,
      line: null,
      text: `the builder changed this outside ${e.moduleDir}/ (through the shell); the engine left it out of the module's commit, so it is not part of what is graded, but the builder should not depend on it`,
    });
  }
  const verdict = findings.some((f) => f.severity === 'CRITICAL') ? 'FAIL-CRITICAL' : findings.some((f) => f.severity === 'MAJOR') ? 'FAIL-MAJOR' : 'PASS';
  const tests = e.testRun ? (e.testRun.ok ? 'its tests pass' : 'its tests fail') : 'its tests were not run (no shell tool)';
  const summary =
    verdict === 'PASS'
      ? `The module matches its interface contract and ${tests}. No critical or major findings.`
      : `${findings.length} finding(s), ${verdict === 'FAIL-CRITICAL' ? 'at least one critical' : 'major'}; ${tests}. First: ${excerpt(findings[0]!.text, 300)}`;
  return { verdict, summary, tests_run: e.testRun !== undefined, tests_passed: e.testRun?.ok ?? false, findings };
}
