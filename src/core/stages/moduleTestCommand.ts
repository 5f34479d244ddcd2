import { moduleDir } from './contracts';
import type { PipelineContext } from './context';

/** The configured module test command with `{module_dir}` and `{module}` filled in. */
export function moduleTestCommand(ctx: PipelineContext, module: string): string {
  return ctx.config.moduleTestCommand.replaceAll('{module_dir}', moduleDir(module)).replaceAll('{module}', module);
}
