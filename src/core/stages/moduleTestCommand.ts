import { moduleDirOf, moduleTestCommandFor, projectCommands } from '../stack/commands';
import type { PipelineContext } from './context';

/** The module's test command (contracts, unless the configuration overrides it) with its path filled in. */
export function moduleTestCommand(ctx: PipelineContext, module: string): string {
  return moduleTestCommandFor(ctx.config, ctx.contracts().manifest, module);
}

/** The project's integration test command (contracts, unless the configuration overrides it). */
export function integrationTestCommand(ctx: PipelineContext): string {
  return projectCommands(ctx.config, ctx.contracts().manifest).integrationTest;
}

/** Where the module's code lives, from modules.json. */
export function moduleDir(ctx: PipelineContext, module: string): string {
  return moduleDirOf(ctx.contracts().manifest, module);
}
