/**
 * A short, bounded picture of an existing repository for the architect, so that it keeps the stack
 * that is there instead of choosing its own: the tracked files, the README, the build and package
 * files that name the stack and its commands, and where the tests live. Bounded because a large
 * repository would otherwise fill the architect's context before it has read anything itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listTrackedFiles } from '../git';

const MAX_FILES_LISTED = 150;
const MAX_TESTS_LISTED = 30;
const EXCERPT = 1500;

/** Files that say which stack a project uses and how it is built and tested. */
export const STACK_FILES = [
  'package.json',
  'tsconfig.json',
  'pyproject.toml',
  'setup.cfg',
  'requirements.txt',
  'go.mod',
  'Cargo.toml',
  'Makefile',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'Gemfile',
  'composer.json',
];

const TEST_FILE = /(^|\/)(tests?|__tests__|spec)\/|(\.|_)(test|spec)\.[A-Za-z]+$|(^|\/)test_[^/]+\.py$/;

function excerpt(file: string): string | undefined {
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile()) return undefined;
    const text = fs.readFileSync(file, 'utf8');
    return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}\n… (${text.length - EXCERPT} more characters)` : text;
  } catch {
    return undefined;
  }
}

export async function codebaseSummary(worktree: string): Promise<string> {
  const files = (await listTrackedFiles(worktree)).filter((f) => !f.startsWith('.orchestration/'));
  if (files.length === 0) return 'None: this is a new project.';
  const sections: string[] = [];
  const shown = files.slice(0, MAX_FILES_LISTED).map((f) => `- ${f}`);
  sections.push(`${files.length} tracked files${files.length > MAX_FILES_LISTED ? ` (first ${MAX_FILES_LISTED} shown)` : ''}:\n${shown.join('\n')}`);
  const tracked = new Set(files);
  for (const name of STACK_FILES) {
    if (!tracked.has(name)) continue;
    const text = excerpt(path.join(worktree, name));
    if (text !== undefined) sections.push(`${name}:\n\`\`\`\n${text.trimEnd()}\n\`\`\``);
  }
  const tests = files.filter((f) => TEST_FILE.test(f));
  if (tests.length) sections.push(`Test files (${tests.length}${tests.length > MAX_TESTS_LISTED ? `, first ${MAX_TESTS_LISTED}` : ''}):\n${tests.slice(0, MAX_TESTS_LISTED).map((f) => `- ${f}`).join('\n')}`);
  const readme = ['README.md', 'readme.md', 'README'].find((r) => tracked.has(r));
  const readmeText = readme ? excerpt(path.join(worktree, readme)) : undefined;
  if (readmeText !== undefined) sections.push(`${readme} (start):\n${readmeText.slice(0, 2000)}`);
  return sections.join('\n\n');
}
