/**
 * The stack rules of modules.json (X8): the toolchain's commands, each module's own test command,
 * its path and its third-party dependencies. Each problem names the field, so the architect can fix
 * exactly that in a repair round.
 */
import type { ContractsContext } from './contractFiles';
import { commandProblem, dependencyProblem, type PlaceholderRule } from './commandLine';
import { modulePathProblem, pathsOverlap } from './modulePaths';
import { quoteUntrusted } from './names';
import { modulePathOf, sharedPathOf, type ModulesManifest } from './schemas';

export const MODULES_FILE = 'modules.json';

const TOOLCHAIN_COMMANDS: ReadonlyArray<{ key: 'install' | 'test' | 'integration_test' | 'project_test' | 'build' | 'lint'; placeholders: PlaceholderRule }> = [
  { key: 'install', placeholders: 'forbidden' },
  { key: 'test', placeholders: 'required' },
  { key: 'integration_test', placeholders: 'forbidden' },
  { key: 'project_test', placeholders: 'forbidden' },
  { key: 'build', placeholders: 'forbidden' },
  { key: 'lint', placeholders: 'allowed' },
];

export function checkToolchain(ctx: ContractsContext, manifest: ModulesManifest): void {
  const toolchain = manifest.toolchain;
  for (const { key, placeholders } of TOOLCHAIN_COMMANDS) {
    const value = toolchain[key];
    if (value === undefined) continue;
    const problem = commandProblem(value, `toolchain.${key}`, placeholders);
    if (problem !== null) ctx.problems.add(MODULES_FILE, problem.includes('{module') ? 'toolchain.placeholder' : 'toolchain.command', problem, `toolchain.${key}`);
  }
  if (/[\u0000-\u001f\u007f]/.test(toolchain.runtime)) {
    ctx.problems.add(MODULES_FILE, 'toolchain.command', `toolchain.runtime ${quoteUntrusted(toolchain.runtime)} contains a control character`, 'toolchain.runtime');
  }
  toolchain.dev_dependencies.forEach((dep, i) => {
    const problem = dependencyProblem(dep);
    if (problem !== null) ctx.problems.add(MODULES_FILE, 'module.dependency', `toolchain.dev_dependencies[${i}]: ${problem}`, dep);
  });
}

/**
 * Per-module test override, dependencies and path. Modules whose name is unsafe are skipped: their
 * name problem is reported already, and their default path is built from that name.
 */
export function checkModuleStack(ctx: ContractsContext, manifest: ModulesManifest, safeNames: ReadonlySet<string>): void {
  const claimed: Array<{ owner: string; path: string }> = [];
  const shared = manifest.shared_path;
  const sharedProblem = shared === undefined ? null : modulePathProblem(shared, 'shared_path');
  if (sharedProblem !== null) ctx.problems.add(MODULES_FILE, 'module.path', sharedProblem, 'shared_path');
  else claimed.push({ owner: 'the shared types (shared_path)', path: sharedPathOf(manifest) });

  for (const module of manifest.modules) {
    if (!safeNames.has(module.name)) continue;
    const label = `module ${quoteUntrusted(module.name)}`;
    if (module.test !== undefined) {
      const problem = commandProblem(module.test, `${label}: test`, 'allowed');
      if (problem !== null) ctx.problems.add(MODULES_FILE, 'toolchain.command', problem, module.name);
    }
    module.dependencies.forEach((dep) => {
      const problem = dependencyProblem(dep);
      if (problem !== null) ctx.problems.add(MODULES_FILE, 'module.dependency', `${label}: ${problem}`, module.name);
    });
    const pathProblem = module.path === undefined ? null : modulePathProblem(module.path, `${label}: path`);
    if (pathProblem !== null) {
      ctx.problems.add(MODULES_FILE, 'module.path', pathProblem, module.name);
      continue;
    }
    const own = modulePathOf(module);
    const clash = claimed.find((c) => pathsOverlap(c.path, own));
    if (clash) {
      ctx.problems.add(
        MODULES_FILE,
        'module.path-overlap',
        `${label} has path ${quoteUntrusted(own)}, which overlaps ${quoteUntrusted(clash.path)} of ${clash.owner}; every module needs a folder no other module shares`,
        module.name,
      );
      continue;
    }
    claimed.push({ owner: label, path: own });
  }
}
