/**
 * The scripted QC agent (M7): reads the contract, the code and the tests; runs the test command and
 * greps for credentials; then submits a structured verdict built from that evidence. If the verdict
 * tool refuses its input (schema violation), it corrects it and submits again.
 */
import type { ScriptedReply } from '../api-types';
import type { ToolCall } from '../conversation';
import { detectProject, findModule, scenarioTarget } from '../projects/plan';
import { directTestCommand, sourceFileOf, testFileOf } from '../projects/stack';
import { act, call, finish, shellQuote } from '../reply';
import { isSafeModuleName, readResult, workCalls, type RoleContext } from './context';
import { reviewModule, SECRET_PATTERN, type QcEvidence } from './qc-review';
import { showsTests, testTitles } from './test-output';

const MAX_SUBMISSIONS = 3;

/** The paths the engine's scope note says it left out of the commit ("… left out of the commit and discarded (…): a, b; …"). */
function outOfScopePaths(text: string): string[] {
  const m = /left out of the commit[^:\n]*:\s*([^;\n]+?)(?:;|\. None of that)/i.exec(text);
  return m ? m[1]!.split(',').map((p) => p.trim().replace(/ and \d+ more$/, '')).filter(Boolean) : [];
}

function lastOf(calls: ToolCall[], name: string, match: (input: Record<string, unknown>) => boolean = () => true): ToolCall | undefined {
  return calls.filter((x) => x.name === name && match(x.input)).at(-1);
}

export function qcTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const module = c.card.module;
  if (module === undefined || !isSafeModuleName(module)) return finish('FAIL-CRITICAL. My task card names no valid module to grade.');
  const moduleDir = (c.card.moduleDir ?? `src/${module}`).replace(/\/+$/, '');
  const stack = detectProject(c.card.project, ctx.project).stack === 'python' || /python/.test(c.card.testCommand ?? '') ? 'python' : 'node';
  const paths = {
    interfacePath: `${c.card.contractsDir}/interfaces/${module}.interface.md`,
    sourcePath: sourceFileOf(stack, { path: moduleDir }),
    testPath: testFileOf(stack, { path: moduleDir, name: module }),
  };
  const direct = directTestCommand(stack, moduleDir, shellQuote);
  const testCommand = c.card.testCommand ?? direct;
  const calls = workCalls(c, c.userTexts[0]?.messageIndex ?? -1);

  const source = readResult(calls, paths.sourcePath);
  if (source === undefined) {
    return act(c, `Reviewing ${module}: reading its contract, code and tests.`, [paths.interfacePath, paths.sourcePath, paths.testPath].map((p) => call('read', { file_path: p })));
  }

  const run = lastOf(calls, 'bash', (i) => i['command'] === testCommand);
  const grep = lastOf(calls, 'grep', (i) => i['pattern'] === SECRET_PATTERN);
  const checks = [
    ...(c.tools.has('bash') && !run ? [call('bash', { command: testCommand, timeout_ms: 120_000 })] : []),
    ...(c.tools.has('grep') && !grep ? [call('grep', { pattern: SECRET_PATTERN, path: moduleDir })] : []),
  ];
  if (checks.length > 0) return act(c, 'Running the tests and searching the module for hardcoded credentials.', checks);

  // A green run that shows none of the module's tests proves nothing: run the test file itself.
  const tests = readResult(calls, paths.testPath);
  const vacuous = run?.result && !run.result.isError && testCommand !== direct && !showsTests(run.result.text, testTitles(tests?.ok ? tests.text : ''));
  const directRun = lastOf(calls, 'bash', (i) => i['command'] === direct);
  if (vacuous && !directRun) {
    return act(c, `\`${testCommand}\` passed without running any test of ${module}; running the test file directly.`, [call('bash', { command: direct, timeout_ms: 120_000 })]);
  }
  const graded = vacuous && directRun?.result ? { call: directRun, command: direct } : run?.result ? { call: run, command: testCommand } : undefined;

  const plan = detectProject(c.card.project, ctx.project);
  const evidence: QcEvidence = {
    ...paths,
    moduleDir,
    interfaceDoc: readResult(calls, paths.interfacePath),
    source,
    tests,
    testRun: graded ? { ok: !graded.call.result!.isError, output: graded.call.result!.text, command: graded.command } : undefined,
    vacuousCommand: vacuous ? testCommand : undefined,
    secretGrep: grep?.result ? { ok: !grep.result.isError, text: grep.result.text } : undefined,
    outOfScope: outOfScopePaths(c.userTexts[0]?.text ?? ''),
    fallback: findModule(plan, module) ?? { name: module, description: module, dependsOn: [], builderModel: 'sonnet', complexity: 'medium', kind: 'combiner', salt: 1, path: moduleDir },
  };
  const review = reviewModule(evidence);

  const submissions = calls.filter((x) => x.name === 'submit_verdict');
  const accepted = submissions.find((x) => x.result && !x.result.isError);
  if (c.tools.has('submit_verdict') && !accepted && submissions.length < MAX_SUBMISSIONS) {
    const sloppy = ctx.scenario === 'bad-verdict' && module === scenarioTarget(plan, ctx.target) && submissions.length === 0;
    const says = submissions.length > 0 ? `The verdict was refused (${submissions.at(-1)?.result?.text.slice(0, 200) ?? ''}); submitting it again in the required shape.` : undefined;
    return act(c, says, [call('submit_verdict', { ...review, verdict: sloppy ? 'MAYBE' : review.verdict })]);
  }
  const first = review.findings[0];
  return finish(review.verdict === 'PASS' ? `PASS. ${review.summary}` : `${review.verdict}. ${first ? first.text.split('\n')[0] : review.summary}`);
}
