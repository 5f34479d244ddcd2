/**
 * What the human approves at the blueprint gate, besides the design: the exact command lines the
 * engine will run for this stack (X8). They are shown verbatim; the validator has already refused
 * any command that spans lines or hides characters, so what is shown is what runs.
 */
import type { PipelineConfig } from '../config';
import { modulePathOf, sharedPathOf, type ModulesManifest } from '../contracts/schemas';
import { projectCommands } from './commands';

export interface GateCommand {
  /** What the command is for, e.g. "install (in the integration worktree: …)". */
  label: string;
  command: string;
}

type OverrideConfig = Pick<PipelineConfig, 'moduleTestCommand' | 'integrationTestCommand'> & Partial<Pick<PipelineConfig, 'projectTestCommand'>>;

export function blueprintCommands(config: OverrideConfig, manifest: ModulesManifest): GateCommand[] {
  const t = manifest.toolchain;
  const fromConfig = ' (set in .build-pipeline.json / settings, overriding the contracts)';
  const project = projectCommands(config, manifest).projectTest;
  const list: GateCommand[] = [
    { label: 'install (in the integration worktree: after the scaffold, and first on existing code)', command: t.install },
    {
      label: `module tests (builders, QC; {module_dir} = the module's path)${config.moduleTestCommand ? fromConfig : ''}`,
      command: config.moduleTestCommand ?? t.test,
    },
    {
      label: `integration tests (the full suite: on existing code before the build, after the scaffold, on assembly's final head${project ? ' and after a merge that changed more than its module' : ', after every merge'})${config.integrationTestCommand ? fromConfig : ''}`,
      command: config.integrationTestCommand ?? t.integration_test,
    },
  ];
  if (project) {
    list.push({ label: `project-level tests (after each merge, with the merged module's tests)${config.projectTestCommand ? fromConfig : ''}`, command: project });
  }
  // Builders and QC also read these in the contracts and run them in their shells; the engine runs
  // them once on the release commit (stages/shipChecks.ts), which is why they are approved here too.
  if (t.build) list.push({ label: 'build (in the ship stage, on the integration branch; a failing build blocks the ship)', command: t.build });
  if (t.lint) list.push({ label: 'lint (in the ship stage, on the integration branch; a failure is shown at the ship gate as a warning)', command: t.lint });
  if (!config.moduleTestCommand) {
    for (const m of manifest.modules) if (m.test !== undefined) list.push({ label: `tests of module ${m.name} (its own)`, command: m.test });
  }
  return list;
}

/** The blueprint as text for a terminal or a tooltip: modules with paths and dependencies, then the commands. */
export function blueprintSummary(config: OverrideConfig, manifest: ModulesManifest): string {
  const modules = manifest.modules.map((m) => {
    const deps = m.depends_on.length ? ` ← ${m.depends_on.join(', ')}` : '';
    const packages = m.dependencies.length ? ` [packages: ${m.dependencies.join(', ')}]` : '';
    return `${m.name} (${m.builder_model}, ${modulePathOf(m)}/)${deps}${packages}: ${m.description}`;
  });
  const dev = manifest.toolchain.dev_dependencies.length ? [`dev dependencies: ${manifest.toolchain.dev_dependencies.join(', ')}`] : [];
  const commands = blueprintCommands(config, manifest).map((c) => `  ${c.label}:\n    ${c.command}`);
  return [
    ...modules,
    `shared types: ${sharedPathOf(manifest)}/`,
    `stack: ${manifest.toolchain.runtime}`,
    ...dev,
    'Commands the engine will run (approving the blueprint approves these exact lines):',
    ...commands,
  ].join('\n');
}
