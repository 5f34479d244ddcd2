/**
 * `build-pipeline`: the headless front end of the engine. Exit codes: 0 success; 1 halted,
 * cancelled or an error in the world (no such folder, repository or run; a run already active);
 * 2 only for a mistake in the command line itself; 3 awaiting approval; 130 a second Ctrl-C or
 * SIGTERM while cancelling (ended at once).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs, intFlag, strFlag, UsageError, type ParsedArgs } from './args';
import { eventRenderer, summaryText } from './render';
import { forTerminal, jsonForTerminal } from './terminalText';
import { requireAtMost, requireRepoDir, requireRunIdShape } from './repoDir';
import { cliGate } from './gate';
import { startRun, startAudit, resumeRun, listRuns, summarize, isRunActive } from '../core/engine';
import { PreflightError } from '../core/preflight';
import { loadConfig } from '../core/config';
import { cacheShareByRole, costBreakdown } from '../core/run/report';
import { modeForStart } from './modeQuestion';
import { formatProblems, validateContracts } from '../core/contracts/validator';
import type { OfflineModelStarter, RunHandle, RunResult } from '../core/api';
import { startScriptedModel } from '../scripted';
import { SCENARIOS, type Scenario } from '../scripted/types';
import { pythonDescription, sampleDescription } from '../scripted';
import { checkSandbox } from '../core/sandbox/availability';
import { cmdImplement, cmdPlan, PLAN_USAGE } from './planCommands';
import { reexecWithEngineFlags } from './engineFlags';
import { cancelOnSignals } from './signals';
import { countJournalEvents } from '../core/run/journal';
import { runsRootFor } from '../core/run/runs';
import { readState } from '../core/run/store';
import { shellWord } from './shellWord';

const USAGE = `Usage:
  build-pipeline start "<description>" [--cwd DIR] [--yes] [--offline]
  build-pipeline audit "<what to audit>" [--cwd DIR] [--yes] [--offline]
  build-pipeline resume RUN_ID [--cwd DIR] [--yes] [--offline]
  build-pipeline status [RUN_ID] [--cwd DIR] [--json]
  build-pipeline validate [--cwd DIR]
  build-pipeline scripted-model [--port N] [--latency-ms L] [--scenario NAME]
  build-pipeline demo [--dir DIR] [--python]
${PLAN_USAGE}

Without ANTHROPIC_API_KEY (or with --offline) the built-in scripted model plays every agent (demo).
Exit codes: 0 success; 1 halted, cancelled or an error (no such folder or repository,
no such run, a run already active); 2 usage error (unknown command or option, a missing or
malformed argument) or a setting the API refuses (a model, the key); 3 awaiting approval;
130 a second Ctrl-C while cancelling.`;

const FLAGS = {
  cwd: 'value', yes: 'bool', offline: 'bool', json: 'bool', port: 'value', 'latency-ms': 'value', scenario: 'value', dir: 'value', help: 'bool', python: 'bool', fresh: 'bool',
} as const;

/** Each command's options (the usage text's); `--help` goes with any. Another command's option is a usage error, not ignored. */
const COMMAND_FLAGS: Record<string, ReadonlyArray<keyof typeof FLAGS>> = {
  start: ['cwd', 'yes', 'offline'],
  audit: ['cwd', 'yes', 'offline'],
  resume: ['cwd', 'yes', 'offline'],
  status: ['cwd', 'json'],
  validate: ['cwd'],
  'scripted-model': ['port', 'latency-ms', 'scenario'],
  demo: ['dir', 'python'],
  plan: ['cwd', 'offline'],
  implement: ['cwd', 'yes', 'offline', 'fresh'],
};

function checkCommandFlags(args: ParsedArgs): void {
  const allowed = args.command ? COMMAND_FLAGS[args.command] : undefined;
  if (!allowed) return; // an unknown command is reported as such
  for (const name of args.flags.keys()) {
    if (name !== 'help' && !allowed.includes(name as keyof typeof FLAGS)) throw new UsageError(`--${name} is not an option of ${args.command}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, FLAGS);
    checkCommandFlags(args);
  } catch (e) {
    return usage((e as Error).message);
  }
  if (args.flags.has('help') || !args.command) {
    console.log(USAGE);
    return args.command || args.flags.has('help') ? 0 : 2;
  }
  try {
    switch (args.command) {
      case 'start':
        return await cmdStart(args);
      case 'audit':
        return await cmdAudit(args);
      case 'resume':
        return await cmdResume(args);
      case 'status':
        return await cmdStatus(args);
      case 'validate':
        return await cmdValidate(args);
      case 'scripted-model':
        return await cmdScriptedModel(args);
      case 'demo':
        return await cmdDemo(args);
      case 'plan':
        return await cmdPlan(args);
      case 'implement':
        return await cmdImplement(args);
      default:
        return usage(`unknown command ${args.command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    // A refused key or an unavailable model is a setting to change: a usage error, reported before anything was created.
    if (PreflightError.is(e, 'apiKey') || PreflightError.is(e, 'model')) {
      console.error(forTerminal(`build-pipeline: ${e.message}`));
      return 2;
    }
    console.error(forTerminal(`build-pipeline: ${(e as Error).message}`));
    return 1;
  }
}

function usage(message: string): number {
  console.error(forTerminal(`build-pipeline: ${message}\n\n${USAGE}`));
  return 2;
}

function cwdOf(args: ParsedArgs): string {
  return path.resolve(strFlag(args, 'cwd') ?? process.cwd());
}

/** The offline demo's model, injected into the engine: the built-in scripted model, one per run. */
const offlineModel: OfflineModelStarter = () => startScriptedModel({});

function offlineOf(args: ParsedArgs): boolean {
  return args.flags.has('offline') || !process.env.ANTHROPIC_API_KEY;
}

async function cmdStart(args: ParsedArgs): Promise<number> {
  const description = args.positionals.join(' ').trim();
  if (!description) throw new UsageError('start needs a description');
  const repoRoot = requireRepoDir(cwdOf(args));
  const mode = await modeForStart(description);
  if (mode === 'audit') {
    console.log('This reads as an audit request (audit/review/scan/analyze/check): running a read-only audit.');
    return cmdAudit(args);
  }
  const offline = offlineOf(args);
  if (offline) console.log('No ANTHROPIC_API_KEY or --offline: running the offline demo with the built-in scripted model.');
  const handle = await startRun({ repoRoot, description, offline, offlineModel, gate: cliGate(args.flags.has('yes')), approver: args.flags.has('yes') ? '--yes' : 'cli' });
  return follow(handle, repoRoot);
}

/** A read-only audit of the repository (M15): nothing in the user's tree or branches changes. */
async function cmdAudit(args: ParsedArgs): Promise<number> {
  const request = args.positionals.join(' ').trim();
  if (!request) throw new UsageError('audit needs a description of what to audit');
  const repoRoot = requireRepoDir(cwdOf(args));
  const offline = offlineOf(args);
  if (offline) console.log('No ANTHROPIC_API_KEY or --offline: running the audit with the built-in scripted model (demo).');
  // An audit has no gate; --yes is accepted so that `start --yes` can hand over to it unchanged.
  const handle = await startAudit({ repoRoot, description: request, offline, offlineModel, gate: cliGate(args.flags.has('yes')), approver: args.flags.has('yes') ? '--yes' : 'cli' });
  return follow(handle, repoRoot);
}

async function cmdResume(args: ParsedArgs): Promise<number> {
  const runId = args.positionals[0];
  if (!runId) throw new UsageError('resume needs a RUN_ID (see `build-pipeline status`)');
  requireAtMost(args.positionals, 1, 'resume');
  requireRunIdShape(runId);
  const repoRoot = requireRepoDir(cwdOf(args));
  const runsDir = loadConfig(repoRoot).runsDir;
  const previous = (await listRuns(repoRoot, runsDir)).find((r) => r.runId === runId);
  // A run whose state cannot be read is not listed: say why it cannot be read, not that it is not there.
  const stateFile = path.join(await runsRootFor(repoRoot, runsDir), runId, 'state.json');
  if (!previous && fs.existsSync(stateFile)) readState(stateFile);
  // A well-formed id that names no run is an error (1), not a usage mistake.
  if (!previous) throw new Error(`no run ${runId} in ${repoRoot} (see \`build-pipeline status --cwd ${shellWord(repoRoot)}\`)`);
  // A run on the real API is not continued by the scripted model (its demo code would land on the run's
  // branches and its made-up usage in the budget): without a key it is refused here, and with --offline
  // by the engine.
  if (!previous.offline && !args.flags.has('offline') && !process.env.ANTHROPIC_API_KEY) {
    throw new Error(`run ${runId} runs on the Anthropic API and ANTHROPIC_API_KEY is not set; set it to resume the run`);
  }
  const offline = args.flags.has('offline') || previous.offline;
  const handle = await resumeRun({ repoRoot, runId, offline, offlineModel, gate: cliGate(args.flags.has('yes')), approver: args.flags.has('yes') ? '--yes' : 'cli' });
  return follow(handle, repoRoot);
}

async function follow(handle: RunHandle, cwd: string): Promise<number> {
  const render = eventRenderer();
  handle.onEvent((e) => {
    const line = render(e);
    if (line) console.log(forTerminal(line));
  });
  // Ctrl-C or SIGTERM: cancelled and resumable, exit 1.
  const stopListening = cancelOnSignals((reason) => handle.cancel(reason));
  let result: RunResult;
  try {
    result = await handle.done;
  } finally {
    stopListening();
  }
  console.log(forTerminal(summaryText(result.summary)));
  if (result.status === 'succeeded' && result.state.mode === 'audit') {
    console.log(`Audit report: ${path.join(result.state.runDir, 'audit-report.md')}`);
    return 0;
  }
  if (result.status === 'succeeded') {
    console.log(`Integration branch: ${result.state.integrationBranch}`);
    return 0;
  }
  if (result.status === 'awaiting-approval') {
    console.log(`\nAwaiting approval (${result.state.waitingGate ?? 'gate'}). Approve with:\n  build-pipeline resume ${result.state.runId} --cwd ${shellWord(cwd)} --yes\nor run it on a terminal to answer interactively.`);
    return 3;
  }
  return 1;
}

async function cmdStatus(args: ParsedArgs): Promise<number> {
  requireAtMost(args.positionals, 1, 'status');
  const runId = args.positionals[0];
  if (runId) requireRunIdShape(runId);
  const repoRoot = requireRepoDir(cwdOf(args));
  const runs = await listRuns(repoRoot, loadConfig(repoRoot).runsDir);
  const run = runId ? runs.find((r) => r.runId === runId) : runs[0];
  if (!run) {
    console.error(runId ? `no run ${runId}` : 'no runs in this repository');
    return 1;
  }
  // "running" with no process driving it: the process died (a crash, a kill -9, a second Ctrl-C).
  const active = isRunActive(run);
  const interrupted = run.status === 'running' && !active;
  if (args.flags.has('json')) {
    const out = {
      runId: run.runId,
      runDir: run.runDir,
      mode: run.mode,
      status: run.status,
      /** Whether a process drives the run now; false with status "running" means it was interrupted. */
      active,
      offline: run.offline,
      shellsSandboxed: run.shellsSandboxed !== false,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      haltReason: run.haltReason,
      integrationBranch: run.integrationBranch,
      waitingGate: run.waitingGate,
      stages: run.stages.map((s) => ({ id: s.id, status: s.status, detail: s.detail, usage: s.usage })),
      modules: run.modules.map((m) => ({ name: m.name, status: m.status, branch: m.branch, verdict: m.verdict, fixCycles: m.fixCycles, usage: m.usage })),
      merges: run.merges,
      shipped: run.shipped,
      usage: run.usage,
      agentUsage: run.agentUsage,
      costUsd: run.costUsd,
      cost: costBreakdown(run),
      cacheShareByRole: cacheShareByRole(run),
    };
    console.log(jsonForTerminal(out));
    return 0;
  }
  const status = interrupted ? `${run.status}, but no process drives it: interrupted; resume it with build-pipeline resume ${run.runId}` : run.status;
  console.log(forTerminal(`Run ${run.runId} (${status})${run.haltReason ? `: ${run.haltReason}` : ''}\n  ${run.runDir}`));
  for (const s of run.stages) console.log(forTerminal(`  stage ${s.id.padEnd(10)} ${s.status}${s.detail ? ` — ${s.detail.split('\n')[0]}` : ''}`));
  const retries = countJournalEvents(path.join(run.runDir, 'journal.jsonl'), 'agent-retry');
  console.log(forTerminal(summaryText(summarize(run, Date.parse(run.updatedAt) - Date.parse(run.createdAt), retries))));
  return 0;
}

async function cmdValidate(args: ParsedArgs): Promise<number> {
  requireAtMost(args.positionals, 0, 'validate');
  const dir = path.join(cwdOf(args), '.orchestration', 'contracts');
  const result = await validateContracts(dir);
  if (result.ok) {
    console.log(`${dir}: valid (${result.manifest?.modules.length ?? 0} modules, ${result.adrs.length} ADRs)`);
    return 0;
  }
  console.log(forTerminal(`${dir}: ${result.problems.length} problem(s)\n${formatProblems(result.problems)}`));
  return 1;
}

async function cmdScriptedModel(args: ParsedArgs): Promise<number> {
  requireAtMost(args.positionals, 0, 'scripted-model');
  const scenario = strFlag(args, 'scenario');
  if (scenario && !(SCENARIOS as readonly string[]).includes(scenario)) throw new UsageError(`unknown scenario ${scenario} (${SCENARIOS.join(', ')})`);
  const handle = await startScriptedModel({ port: intFlag(args, 'port') ?? 0, latencyMs: intFlag(args, 'latency-ms') ?? 0, scenario: scenario as Scenario | undefined });
  console.log(handle.url);
  console.error(`scripted model listening on ${handle.url} (Ctrl-C to stop); point ANTHROPIC_BASE_URL at it`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await handle.close();
  return 0;
}

/** `npm run demo`: the sample project (JavaScript, or Python with --python) in a fresh repository, offline, gates approved. */
async function cmdDemo(args: ParsedArgs): Promise<number> {
  const python = args.flags.has('python');
  requireAtMost(args.positionals, 0, 'demo');
  const dir = path.resolve(strFlag(args, 'dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'build-pipeline-demo-')));
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new Error(`--dir ${dir} is not a directory`);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, '.git'))) {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(dir, 'README.md'), '# Demo project\n\nBuilt by Build Pipeline in offline demo mode.\n');
    git('add', 'README.md');
    git('-c', 'user.name=demo', '-c', 'user.email=demo@example.invalid', 'commit', '-q', '-m', 'initial commit');
  }
  console.log(`Demo repository: ${dir}`);
  // The demo's shell commands are the scripted model's own, fixed in this repository: where the
  // sandbox cannot start, the demo still runs (saying so) instead of refusing like a real run.
  const sandbox = await checkSandbox();
  if (!sandbox.ok) console.log(`Shells are not sandboxed in this demo: ${sandbox.reason}.`);
  const config = sandbox.ok ? undefined : { sandbox: { enabled: false, allowedDomains: [] } };
  const description = python ? pythonDescription : sampleDescription;
  const handle = await startRun({ repoRoot: dir, description, offline: true, offlineModel, gate: cliGate(true), approver: '--yes', config });
  const code = await follow(handle, dir);
  if (code === 0) {
    const tests = python ? 'python3 -m unittest discover -s wordstats -t .' : 'node --test';
    // Shipped (the gate was approved with --yes): the repository's own checkout has the result. The
    // tests run in that folder, so the line goes there first.
    const state = handle.state();
    const where = state.shipped ? `cd ${shellWord(dir)} &&` : `cd ${shellWord(dir)} && git checkout ${state.integrationBranch} &&`;
    console.log(`\nLook at the result:\n  cd ${shellWord(dir)} && git log --graph --oneline --all\n  ${where} ${tests}`);
  }
  return code;
}

if (require.main === module) {
  reexecWithEngineFlags();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(forTerminal(e instanceof Error ? (e.stack ?? e.message) : String(e)));
      process.exit(1);
    },
  );
}
