/**
 * What a repository's own files say about how it is tested and what it needs installed, for a run
 * that has no contracts toolchain to say so (a phased plan's `implement`): read, never run. The test
 * command is only named (a warning when the gates would run another); the install command for a
 * Node project is chosen from its lockfile, since which package manager wrote it is not in doubt.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** npm's placeholder for a package without tests. */
const NPM_NO_TEST = /no test specified/;

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function hasEntries(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.keys(v).length > 0;
}

const exists = (root: string, rel: string) => fs.existsSync(path.join(root, rel));

/** How the repository's files say it is tested, when that is not `node --test`; undefined when they say nothing else. */
export function testedOtherwise(root: string): string | undefined {
  const pkg = exists(root, 'package.json') ? readJson(path.join(root, 'package.json')) : undefined;
  const script = (pkg?.['scripts'] as Record<string, unknown> | undefined)?.['test'];
  if (typeof script === 'string' && script.trim() && !NPM_NO_TEST.test(script) && !/^node --test\b/.test(script.trim())) {
    // Model-free, but the user's own text: quoted, one line, bounded.
    return `its package.json test script (\`${script.replace(/\s+/g, ' ').trim().slice(0, 120)}\`, run by \`npm test\`)`;
  }
  if (pkg) return undefined;
  if (['pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'pytest.ini', 'tox.ini'].some((f) => exists(root, f))) return 'Python (pytest or unittest)';
  if (exists(root, 'go.mod')) return '`go test ./...`';
  if (exists(root, 'Cargo.toml')) return '`cargo test`';
  return undefined;
}

/** The dependency manifests whose packages a fresh checkout does not have installed. */
export function declaredDependencyFiles(root: string): string[] {
  const found: string[] = [];
  const pkg = exists(root, 'package.json') ? readJson(path.join(root, 'package.json')) : undefined;
  if (pkg && (hasEntries(pkg['dependencies']) || hasEntries(pkg['devDependencies']))) found.push('package.json');
  if (exists(root, 'requirements.txt') && /^\s*[A-Za-z0-9]/m.test(fs.readFileSync(path.join(root, 'requirements.txt'), 'utf8'))) found.push('requirements.txt');
  if (exists(root, 'pyproject.toml') && /^\s*dependencies\s*=\s*\[\s*["']/m.test(fs.readFileSync(path.join(root, 'pyproject.toml'), 'utf8'))) found.push('pyproject.toml');
  return found;
}

/**
 * The install command a Node project's lockfile names, when package.json declares dependencies:
 * `npm ci` (or pnpm's, yarn's frozen install) with a lockfile, `npm install` without. Other stacks
 * have no single right answer (a venv and pip, poetry, uv…): `planInstallCommand` says it.
 */
export function nodeInstallCommand(root: string): string | undefined {
  if (!declaredDependencyFiles(root).includes('package.json')) return undefined;
  if (exists(root, 'pnpm-lock.yaml')) return 'pnpm install --frozen-lockfile';
  // Yarn 2+ (a .yarnrc.yml) installs Plug'n'Play by default: no node_modules to lend to the worktrees.
  if (exists(root, '.yarnrc.yml')) return undefined;
  if (exists(root, 'yarn.lock')) return 'yarn install --frozen-lockfile';
  if (exists(root, 'package-lock.json') || exists(root, 'npm-shrinkwrap.json')) return 'npm ci --no-audit --no-fund';
  return 'npm install --no-audit --no-fund';
}

/** The lockfiles an install may write or update: the only files an engine install commit keeps (with .gitignore). */
export const LOCKFILES: readonly string[] = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock'];
