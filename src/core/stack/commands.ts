/**
 * The commands the engine runs for a project come from the contracts (modules.json `toolchain`, a
 * module's own `test`), because the architect chose the stack and the human approved those exact
 * commands at the blueprint gate; `.build-pipeline.json` (or the VS Code settings) may still override
 * the two test commands, for a repository whose owner knows better.
 */
import type { PipelineConfig } from '../config';
import { modulePathOf, type ModulesManifest, type ModuleSpec } from '../contracts/schemas';

export interface ProjectCommands {
  install: string;
  integrationTest: string;
  /** The project-level tests apart from the modules' (see projectTestOf); absent: assembly runs the full suite after every merge. */
  projectTest?: string;
  build?: string;
  lint?: string;
}

type OverrideConfig = Pick<PipelineConfig, 'moduleTestCommand' | 'integrationTestCommand'> & Partial<Pick<PipelineConfig, 'projectTestCommand'>>;

/**
 * The project-level test command: the configuration's, else the contracts' `project_test`, but not
 * when the configuration overrides the integration tests alone. Whoever replaced the full suite knows
 * the project better than the contracts; the contracts' split of that suite may not hold any more,
 * so assembly falls back to the full suite after every merge.
 */
function projectTestOf(config: OverrideConfig, manifest: ModulesManifest): string | undefined {
  if (config.projectTestCommand !== undefined) return config.projectTestCommand;
  if (config.integrationTestCommand !== undefined) return undefined;
  return manifest.toolchain.project_test;
}

export function projectCommands(config: OverrideConfig, manifest: ModulesManifest): ProjectCommands {
  const t = manifest.toolchain;
  const projectTest = projectTestOf(config, manifest);
  return {
    install: t.install,
    integrationTest: config.integrationTestCommand ?? t.integration_test,
    ...(projectTest !== undefined ? { projectTest } : {}),
    ...(t.build !== undefined ? { build: t.build } : {}),
    ...(t.lint !== undefined ? { lint: t.lint } : {}),
  };
}

function findSpec(manifest: ModulesManifest, module: string): ModuleSpec {
  const spec = manifest.modules.find((m) => m.name === module);
  if (!spec) throw new Error(`module ${JSON.stringify(module)} is not in modules.json`);
  return spec;
}

/** Where the module's code lives, relative to the repository root (validated by the contracts validator). */
export function moduleDirOf(manifest: ModulesManifest, module: string): string {
  return modulePathOf(findSpec(manifest, module));
}

/** The module's test command before substitution: the override, the module's own, or the toolchain's. */
export function moduleTestTemplate(config: OverrideConfig, manifest: ModulesManifest, module: string): string {
  return config.moduleTestCommand ?? findSpec(manifest, module).test ?? manifest.toolchain.test;
}

/**
 * The test command for one module with `{module_dir}` and `{module}` filled in. Both values passed
 * the validator (plain segments of letters, digits, `.`, `_`, `-`), so they need no shell quoting.
 */
export function moduleTestCommandFor(config: OverrideConfig, manifest: ModulesManifest, module: string): string {
  return moduleTestTemplate(config, manifest, module).replaceAll('{module_dir}', moduleDirOf(manifest, module)).replaceAll('{module}', module);
}
