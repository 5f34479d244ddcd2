/**
 * Helpers of the plan and team tests: the small existing repository (the calc library) in a temp
 * folder with a real git history, and hand-written plan folders in the documented shape.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { calcRepoFiles } from '../../src/scripted/projects/calc-ops';
import type { TestRepo } from './harness';

export function makeCalcRepo(opts: { brokenSubtract?: boolean } = {}): TestRepo {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-plan-')));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'user', GIT_AUTHOR_EMAIL: 'u@x.invalid', GIT_COMMITTER_NAME: 'user', GIT_COMMITTER_EMAIL: 'u@x.invalid' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', env }).trim();
  git('init', '-q', '-b', 'main');
  for (const [file, content] of Object.entries(calcRepoFiles(opts))) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  git('add', '.');
  git('commit', '-q', '-m', 'user: calc library');
  return { root, git, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export interface PhaseDraft {
  slug: string;
  depends_on?: number[];
  references?: string[];
  tasks?: { id: string; title: string; details?: string; files?: string[]; depends_on?: string[] }[];
  body?: string;
}

export function opTask(id: string, op: string, depends: string[] = []) {
  return { id, title: `Implement ${op} with its tests`, details: `src/ops/${op}.js and test/${op}.test.js`, files: [`src/ops/${op}.js`, `test/${op}.test.js`], depends_on: depends };
}

/** Writes a plan folder by hand (as a user would) and returns its path. */
export function writePlan(dir: string, phases: PhaseDraft[], title = 'Hand-written plan'): string {
  fs.mkdirSync(dir, { recursive: true });
  const files = phases.map((p, i) => `phase-${String(i + 1).padStart(2, '0')}-${p.slug}.md`);
  const table = files.map((f, i) => `| ${i + 1} | ${phases[i]!.slug} | [${f}](./${f}) |`).join('\n');
  fs.writeFileSync(
    path.join(dir, 'plan.md'),
    `# ${title}\n\n## Summary\n\nA test plan.\n\n## Phases\n\n| Phase | Title | File |\n|---|---|---|\n${table}\n\n## Decisions\n\n- none\n\n## Success metrics\n\n- tests green\n`,
  );
  phases.forEach((p, i) => {
    const header = {
      phase: i + 1,
      title: `Phase ${p.slug}`,
      depends_on: p.depends_on ?? [],
      references: p.references ?? [],
      tasks: p.tasks ?? [{ id: 'T1', title: `Do ${p.slug}`, files: [`docs/${p.slug}.md`] }],
    };
    fs.writeFileSync(path.join(dir, files[i]!), `---\n${JSON.stringify(header, null, 2)}\n---\n${p.body ?? `# ${p.slug}\n`}`);
  });
  return dir;
}
