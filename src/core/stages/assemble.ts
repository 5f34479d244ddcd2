/**
 * Stage 4, assemble (M8): the engine merges each QC-passed module branch into the integration
 * branch in `assembly_order`, `--no-ff`, with tests after every merge. It streams from the build:
 * it starts with it and merges each module as soon as the module passed QC and every module before
 * it is merged. The queue, the test selection and the rollback of red merges live in src/core/assembly/.
 */
import { assembleModules } from '../assembly/assembler';
import { AssemblyQueue } from '../assembly/queue';
import type { PipelineContext, Stage, StageResult } from './context';

export const assembleStage: Stage = {
  id: 'assemble',
  title: 'Assemble',
  run: (ctx) => assembleModules(ctx),
  streamsFrom: 'build',
  runStreaming: assembleWhileBuilding,
};

async function assembleWhileBuilding(ctx: PipelineContext, buildEnded: Promise<void>): Promise<StageResult> {
  const queue = new AssemblyQueue(ctx.store);
  void buildEnded.then(() => queue.buildEnded());
  try {
    return await assembleModules(ctx, queue);
  } finally {
    queue.dispose();
  }
}
