/**
 * `npm run smoke:live`: the small sample project built end to end on the real Claude API, the way a
 * user would run it (the built CLI, `start --yes`), with the cheapest tier (haiku) for every role and a
 * $1 budget, in a fresh temporary git repository. Prints the run's progress and its report.
 * Without ANTHROPIC_API_KEY it prints `SKIPPED: set ANTHROPIC_API_KEY` and exits 0. Not part of CI:
 * it costs money and needs the network. Exit code: the CLI's (0 succeeded, 1 halted, ...).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { sampleDescription } from '../src/scripted';
import { projectRoot } from './projectRoot';

/** Most a smoke run may spend (estimated from the tokens at API prices); the engine stops the run there. */
export const SMOKE_BUDGET_USD = 1;

/** Every role on the cheapest tier: what is being checked is that the pipeline works on the real API, not the code's quality. */
export const SMOKE_CONFIG = {
  roleTiers: {
    architect: 'haiku', scaffold: 'haiku', builder: 'haiku', qc: 'haiku', master: 'haiku', training: 'haiku',
    auditPlanner: 'haiku', auditWorker: 'haiku', auditCoordinator: 'haiku', shipper: 'haiku',
  },
  budgetUsd: SMOKE_BUDGET_USD,
} as const;

function freshRepo(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'build-pipeline-smoke-')));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), '# Smoke test\n\nBuilt by Build Pipeline on the real API (npm run smoke:live).\n');
  // The repository's own config file, as a user would write it, committed: the tree is clean, so the
  // approved ship gate (--yes) merges the result into main and the whole pipeline is exercised.
  fs.writeFileSync(path.join(dir, '.build-pipeline.json'), JSON.stringify(SMOKE_CONFIG, null, 2) + '\n');
  git('add', 'README.md', '.build-pipeline.json');
  git('-c', 'user.name=smoke', '-c', 'user.email=smoke@example.invalid', 'commit', '-q', '-m', 'initial commit');
  return dir;
}

function printReport(repo: string): void {
  const runs = path.join(repo, '.git', 'build-pipeline', 'runs');
  const runId = fs.existsSync(runs) ? fs.readdirSync(runs).sort().at(-1) : undefined;
  const report = runId ? path.join(runs, runId, 'report.md') : undefined;
  if (!report || !fs.existsSync(report)) {
    console.log('\n(no run report was written: the run did not start; see the error above)');
    return;
  }
  console.log(`\n${fs.readFileSync(report, 'utf8').replace('<!-- DONE -->', '').trimEnd()}\n\nRun directory: ${path.dirname(report)}`);
}

function main(): number {
  if (!process.env.ANTHROPIC_API_KEY) {
    console.log('SKIPPED: set ANTHROPIC_API_KEY');
    return 0;
  }
  const cli = path.join(projectRoot(), 'dist', 'cli.js');
  if (!fs.existsSync(cli)) {
    console.error(`smoke:live: ${cli} is missing; run \`npm run build\` first (npm run smoke:live does)`);
    return 1;
  }
  const repo = freshRepo();
  console.log(`smoke:live: the sample project on the real API, every role on haiku, budget $${SMOKE_BUDGET_USD.toFixed(2)}\nRepository: ${repo}\n`);
  const run = spawnSync(process.execPath, [cli, 'start', sampleDescription, '--cwd', repo, '--yes'], { stdio: 'inherit', env: process.env });
  printReport(repo);
  console.log(`\nLook at the result: git -C ${repo} log --graph --oneline --all`);
  return run.status ?? 1;
}

if (require.main === module) process.exit(main());
