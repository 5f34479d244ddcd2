/**
 * The scripted builder (Stage 3). Its next move is read off its own history: read the contracts,
 * write code and tests, run the tests (fix once if they fail, then report blocked), leave brain file
 * and training pairs, commit, report the outcome, finish. Each step checks the result of the step
 * before it, so a refused or failed call is answered, never ignored.
 */
import type { ScriptedReply } from '../api-types';
import { allUserText, normPath, succeeded, type ToolCall } from '../conversation';
import { brainFile, trainingPairs } from '../projects/builder-notes';
import { CORRECT, moduleSource, moduleTests, type CodeVariant } from '../projects/module-code';
import type { ModulePlan, ProjectPlan } from '../projects/plan';
import { act, call, excerpt, finish, shellQuote, type PlannedCall } from '../reply';
import { appendCommand, npmInstallCommand, OUTSIDE_PATH, outsideWrites, sharedFileCommand, stubRelianceTest, wiringTest } from './builder-scenarios';
import { directTestCommand } from '../projects/stack';
import { builderSetup, firstVariant, knownModule, type BuilderSetup } from './builder-setup';
import { conflictTurn } from './builder-conflict';
import { misbehaviour } from './builder-misbehave';
import { escapeTurn, mcpTurn } from './sandbox-probes';
import { isSafeModuleName, readResult, workCalls, writeFailures, type RoleContext } from './context';
import { minimalEdit } from './minimal-edit';
import { missingFunctions, withRequiredFunctions } from '../projects/required-functions';
import { firstFailureLine, showsTests, testSummary, testTitles } from './test-output';

const IDENTITY = "-c user.name='Scripted Builder' -c user.email=builder@scripted.invalid";

function bashCalls(calls: ToolCall[], match: (command: string) => boolean): ToolCall[] {
  return calls.filter((x) => x.name === 'bash' && typeof x.input['command'] === 'string' && match(x.input['command']));
}

function lastSuccessfulWrite(calls: ToolCall[], path: string): ToolCall | undefined {
  const want = normPath(path);
  return calls.filter((x) => (x.name === 'write' || x.name === 'edit') && normPath(x.input['file_path']) === want && succeeded(x)).at(-1);
}

/**
 * The turn that reports a blocked build, then the final BLOCKED line. `issue` is a slug naming the
 * problem (the engine files the report under it); a refused report is corrected and sent once more.
 */
function blocked(ctx: RoleContext, calls: ToolCall[], issue: string, reason: string): ScriptedReply {
  const reports = calls.filter((x) => x.name === 'report_outcome' && x.input['status'] === 'blocked');
  const accepted = reports.some(succeeded);
  if (!accepted && reports.length < 2 && ctx.c.tools.has('report_outcome')) {
    return act(ctx.c, reports.length ? `The report was refused (${excerpt(reports.at(-1)?.result?.text ?? '', 200)}); sending it again.` : undefined, [
      call('report_outcome', { status: 'blocked', summary: excerpt(reason, 1900), conflict_issue: issue, conflict_details: excerpt(reason, 19000) }),
    ]);
  }
  return finish(`BLOCKED. ${reason}`);
}

function readNarration(calls: ToolCall[], s: BuilderSetup): string {
  const refused = calls.filter((x) => x.name === 'write' && x.result?.isError);
  if (refused.length > 0) {
    return `${refused.length === 1 ? 'That write was' : `All ${refused.length} writes were`} refused (${excerpt(refused[0]!.result!.text, 160)}). Those files are not mine to change, so I leave them and work only in ${s.moduleDir}/. Reading my contract first.`;
  }
  if (s.fixCycle > 0) return `Fix cycle ${s.fixCycle}: QC reported ${s.findings.length} finding(s), first: ${excerpt(s.findings[0] ?? 'none', 200)}. Reading the contract and my current code.`;
  return 'Reading my interface contract, the locked decisions and the module manifest.';
}

/** Writes (or, in a fix cycle, edits) the module's code and tests, plus any scenario file. */
function writeCode(
  ctx: RoleContext,
  s: BuilderSetup,
  target: { plan: ProjectPlan; mod: ModulePlan; variant: CodeVariant },
  calls: ToolCall[],
  says: string,
  allowEdit: boolean,
): ScriptedReply {
  const { plan, mod, variant: v } = target;
  const planned: PlannedCall[] = [];
  const iface = readResult(calls, s.interfacePath);
  const source = withRequiredFunctions(moduleSource(mod, v), s.stack, missingFunctions(s.findings), iface?.ok ? iface.text : '');
  const current = readResult(calls, s.sourcePath);
  // Edit only while the file is still what was read at the start of the cycle; after that, rewrite it.
  const editFailed = calls.some((x) => x.name === 'edit' && x.result?.isError);
  const edit = allowEdit && current?.ok && !editFailed && ctx.c.tools.has('edit') ? minimalEdit(current.text, source) : undefined;
  if (edit) planned.push(call('edit', { file_path: s.sourcePath, ...edit }));
  else planned.push(call('write', { file_path: s.sourcePath, content: source }));
  planned.push(call('write', { file_path: s.testPath, content: moduleTests(mod, plan, v) }));
  const wiring = wiringTest(ctx, s);
  if (wiring) planned.push(wiring);
  const reliance = stubRelianceTest(ctx, s);
  if (reliance) planned.push(reliance);
  const shared = sharedFileCommand(ctx, s);
  if (shared && bashCalls(calls, (cmd) => cmd === shared.command).length === 0) planned.push(call('bash', { command: shared.command }));
  return act(ctx.c, says, planned);
}

function summaryOf(s: BuilderSetup, mod: ModulePlan, tests: string): string {
  const what =
    mod.kind === 'formatter'
      ? 'format(text, style) for plain, upper and banner with the documented errors'
      : mod.kind === 'greeter'
        ? 'greet(name, options) with name validation, rendering through formatter.format'
        : mod.kind === 'tokenizer'
          ? 'tokenize(text) with the documented TypeError'
          : mod.kind === 'counter'
            ? 'count_words(text, top) over tokenizer.tokenize with the documented ValueError'
            : `combine() and value() over ${mod.dependsOn.length ? mod.dependsOn.join(', ') : 'no dependencies'}`;
  const fix = s.fixCycle > 0 ? ` Fix cycle ${s.fixCycle} addressed: ${excerpt(s.findings.join(' | ') || 'the QC findings', 300)}.` : '';
  return `${s.module} implements ${what}; tests: ${tests}.${fix}`;
}

export function builderTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const module = c.card.module;
  if (module === undefined) return finish('BLOCKED. My task card names no module, so there is nothing I can build.');
  if (!isSafeModuleName(module)) return finish(`BLOCKED. The module name ${JSON.stringify(module)} is not a safe identifier; I will not put it into paths or commands.`);
  const s = builderSetup(ctx, module);
  const start = [...c.userTexts].reverse().find((u) => u.text.includes('<qc-findings>'))?.messageIndex ?? c.userTexts[0]?.messageIndex ?? -1;
  const calls = workCalls(c, start);
  const hasBash = c.tools.has('bash');

  if (ctx.scenario === 'outside-write' && s.isTarget && s.fixCycle === 0 && !calls.some((x) => normPath(x.input['file_path']) === OUTSIDE_PATH)) {
    return act(c, 'First a note beside the repository, a refreshed manifest, and a helper patched into the neighbouring module.', outsideWrites(ctx, s));
  }

  const surroundings = escapeTurn(ctx, s, calls) ?? mcpTurn(ctx, s, calls);
  if (surroundings) return surroundings;

  const iface = readResult(calls, s.interfacePath);
  if (iface === undefined) {
    const reads = [s.interfacePath, s.locksPath, s.manifestPath, ...(s.fixCycle > 0 ? [s.sourcePath, s.testPath] : [])];
    return act(c, readNarration(calls, s), reads.map((p) => call('read', { file_path: p })));
  }
  if (!iface.ok && c.tools.has('glob') && !calls.some((x) => x.name === 'glob')) {
    const dir = s.interfacePath.slice(0, s.interfacePath.lastIndexOf('/'));
    return act(c, `Reading ${s.interfacePath} failed (${excerpt(iface.text, 200)}); looking for the interface files.`, [call('glob', { pattern: '*.md', path: dir })]);
  }
  const { plan, mod } = knownModule(s, calls);

  // Once the conflict is resolved (the decision arrives in the task) the builder resumes normal work.
  const conflictScenario = ['contract-conflict', 'contract-conflict-adapt', 'contract-conflict-recheck', 'needs-dependency'].includes(ctx.scenario);
  if (conflictScenario && s.isTarget && !allUserText(c).includes('<conflict-resolution>')) return conflictTurn(ctx, s, mod, calls);
  const detour = misbehaviour(ctx, s, calls);
  if (detour) return detour;

  const sourceWrite = lastSuccessfulWrite(calls, s.sourcePath);
  const testWrite = lastSuccessfulWrite(calls, s.testPath);
  if (!sourceWrite || !testWrite) {
    const stuck = [s.sourcePath, s.testPath].find((p) => writeFailures(calls, p) >= 2);
    if (stuck) return blocked(ctx, calls, 'write-refused', `Writing ${stuck} failed twice: ${excerpt(calls.filter((x) => normPath(x.input['file_path']) === stuck).at(-1)?.result?.text ?? '', 300)}`);
    const says = s.fixCycle > 0 ? 'Adding what the findings ask for, with tests for it.' : `Implementing ${mod.name} as its contract states, with a test per public function.`;
    return writeCode(ctx, s, { plan, mod, variant: firstVariant(ctx, s) }, calls, says, s.fixCycle > 0);
  }

  const direct = directTestCommand(s.stack, s.moduleDir, shellQuote);
  const runs = bashCalls(calls, (cmd) => cmd === s.testCommand || cmd === direct);
  const lastRun = runs.at(-1);
  const codeAt = Math.max(sourceWrite.messageIndex, testWrite.messageIndex);
  if (hasBash && (!lastRun || lastRun.messageIndex < codeAt)) {
    return act(c, 'Running the module tests.', [call('bash', { command: s.testCommand, timeout_ms: 120_000 })]);
  }
  const titles = testTitles(String(testWrite.input['content'] ?? ''));
  if (lastRun && succeeded(lastRun) && lastRun.input['command'] !== direct && !showsTests(lastRun.result!.text, titles)) {
    const says = `\`${s.testCommand}\` passed without running any of my tests (Node runs the folder's index.js as the test file), so I run the test file directly.`;
    return act(c, says, [call('bash', { command: direct, timeout_ms: 120_000 })]);
  }
  if (lastRun?.result?.isError) {
    const failures = runs.filter((r) => r.result?.isError).length;
    const line = firstFailureLine(lastRun.result.text);
    if (failures >= 2) return blocked(ctx, calls, 'tests-fail', `Tests of ${s.module} still fail after one fix: ${line}`);
    const says = `The tests fail (${line}). Rewriting the module and its tests to follow the contract exactly.`;
    return writeCode(ctx, s, { plan, mod, variant: CORRECT }, calls, says, false);
  }
  const tests = lastRun?.result ? testSummary(lastRun.result.text) : 'not run (no shell tool)';

  const shared = sharedFileCommand(ctx, s);
  const sharedRuns = shared ? bashCalls(calls, (cmd) => cmd === shared.command) : [];
  if (shared && hasBash && !sharedRuns.some(succeeded)) {
    if (sharedRuns.length >= 2) return blocked(ctx, calls, 'shared-file-failed', `Could not write ${shared.path}: ${excerpt(sharedRuns.at(-1)?.result?.text ?? '', 300)}`);
    return act(c, `Writing ${shared.path} failed; trying again.`, [call('bash', { command: shared.command })]);
  }

  // npm-install: a builder that wants a package installs it itself, through the shell, in its worktree.
  const install = npmInstallCommand(ctx, s);
  if (install && hasBash && bashCalls(calls, (cmd) => cmd === install).length === 0) {
    return act(c, 'The padding would be simpler with a small package; installing it with npm.', [call('bash', { command: install, timeout_ms: 120_000 })]);
  }

  const facts = { mod, plan, fixCycle: s.fixCycle, testCommand: String(lastRun?.input['command'] ?? s.testCommand), testSummary: tests, addressed: s.findings, startPairId: Number.parseInt(c.card.fields['start_pair_id'] ?? '', 10) || 10_000 };
  const brainTried = calls.some((x) => x.name === 'write' && normPath(x.input['file_path']) === normPath(s.brainPath));
  const training = appendCommand(s.trainingPath, trainingPairs(facts));
  const trainingTried = bashCalls(calls, (cmd) => cmd === training).length > 0;
  if (!brainTried || (hasBash && !trainingTried)) {
    const notes: PlannedCall[] = [];
    if (!brainTried) notes.push(call('write', { file_path: s.brainPath, content: brainFile(facts) }));
    if (hasBash && !trainingTried) notes.push(call('bash', { command: training }));
    return act(c, `Tests: ${tests}. Recording my brain file and training pairs.`, notes);
  }

  const summary = summaryOf(s, mod, tests);
  // The engine commits (the prompt says so); only the merge-conflict scenario's builder commits on
  // its own, stray file included, as a model that ignores that instruction would.
  if (hasBash && ctx.scenario === 'merge-conflict') {
    const commits = bashCalls(calls, (cmd) => cmd.includes('git') && cmd.includes(' commit '));
    const last = commits.at(-1);
    const paths = [s.moduleDir, '.orchestration', ...(shared ? [shared.path] : [])].map(shellQuote).join(' ');
    const message = s.fixCycle > 0 ? `build(${s.module}): address QC findings (fix cycle ${s.fixCycle})` : `build(${s.module}): implement per contract`;
    const commit = (identity: boolean) => `git add -A -- ${paths} && git ${identity ? IDENTITY + ' ' : ''}commit -q -m ${shellQuote(message)}`;
    if (!last) return act(c, undefined, [call('bash', { command: commit(false) })]);
    const output = last.result?.text ?? '';
    // In the sandbox an agent's commit is refused (git's objects and refs are read-only to its shell): a
    // model that reads that message leaves committing to the engine, as the prompt said.
    const refused = /insufficient permission|Read-only file system|cannot lock ref|unable to create/i.test(output);
    if (last.result?.isError && !refused && !/nothing to commit/i.test(output)) {
      const needsIdentity = /tell me who you are|user\.email|user\.name/i.test(output);
      if (needsIdentity && !commits.some((x) => String(x.input['command']).includes('user.email'))) {
        return act(c, 'git has no identity configured here; committing with an explicit builder identity.', [call('bash', { command: commit(true) })]);
      }
      if (commits.length < 2) return act(c, `The commit failed (${excerpt(output, 200)}); retrying once.`, [call('bash', { command: commit(needsIdentity) })]);
      return blocked(ctx, calls, 'commit-failed', `git commit failed: ${excerpt(output, 500)}`);
    }
  }

  const reports = calls.filter((x) => x.name === 'report_outcome');
  const lastReport = reports.at(-1);
  if (c.tools.has('report_outcome') && (!lastReport || (lastReport.result?.isError && reports.length < 2))) {
    return act(c, undefined, [call('report_outcome', { status: 'done', summary: excerpt(summary, lastReport ? 400 : 1900) })]);
  }
  return finish(`Done. ${summary}`);
}
