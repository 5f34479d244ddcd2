/**
 * Checks that the project manifest the scaffold wrote declares every third-party dependency the
 * contracts name (per module and the toolchain's dev dependencies), so that `install` really
 * installs them and no builder has to touch the manifest. Known manifests: package.json (npm and
 * friends), pyproject.toml and requirements*.txt (pip); for any other stack the check is skipped and
 * the integration test run is the only proof.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModulesManifest } from '../contracts/schemas';

/** `@scope/pkg@^1.2` → `@scope/pkg`; `lodash@4` → `lodash`. */
export function npmName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at === -1 ? spec : spec.slice(0, at);
}

/** `requests[socks]>=2.31` → `requests` (PEP 503 normalized: lowercase, runs of `-_.` as `-`). */
export function pythonName(spec: string): string {
  return normalizePython(spec.split(/[<>=!~[;@\s]/, 1)[0] ?? spec);
}

function normalizePython(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function declaredDependencies(manifest: ModulesManifest): string[] {
  return [...new Set([...manifest.toolchain.dev_dependencies, ...manifest.modules.flatMap((m) => m.dependencies)])];
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Problems, one line each; empty when every declared dependency is in the manifest (or no known manifest exists). */
export function manifestDependencyProblems(root: string, manifest: ModulesManifest): string[] {
  const wanted = declaredDependencies(manifest);
  if (wanted.length === 0) return [];
  const pkgFile = path.join(root, 'package.json');
  if (fs.existsSync(pkgFile)) {
    const pkg = readJson(pkgFile);
    if (!pkg) return ['package.json is not valid JSON'];
    const listed = new Set<string>();
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const section = pkg[key];
      if (section && typeof section === 'object') for (const name of Object.keys(section)) listed.add(name);
    }
    return wanted.filter((spec) => !listed.has(npmName(spec))).map((spec) => `package.json does not declare ${npmName(spec)} (modules.json asks for ${spec})`);
  }
  const pythonFiles = ['pyproject.toml', 'requirements.txt', 'requirements-dev.txt', 'setup.cfg'].map((f) => path.join(root, f)).filter((f) => fs.existsSync(f));
  if (pythonFiles.length > 0) {
    const text = normalizePython(pythonFiles.map((f) => fs.readFileSync(f, 'utf8')).join('\n'));
    return wanted
      .filter((spec) => !new RegExp(`(^|[^a-z0-9-])${pythonName(spec).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-z0-9-]|$)`, 'm').test(text))
      .map((spec) => `no Python manifest (${pythonFiles.map((f) => path.basename(f)).join(', ')}) declares ${pythonName(spec)} (modules.json asks for ${spec})`);
  }
  return [];
}
