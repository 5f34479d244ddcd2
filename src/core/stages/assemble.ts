/**
 * Stage 4, assemble (M8): the engine merges each QC-passed module branch into the integration
 * branch in `assembly_order`, `--no-ff`, with tests after every merge. The merge queue, the test
 * selection and the rollback of red merges live in src/core/assembly/.
 */
import { assembleModules } from '../assembly/assembler';
import type { Stage } from './context';

export const assembleStage: Stage = { id: 'assemble', title: 'Assemble', run: assembleModules };
