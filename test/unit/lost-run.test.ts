import * as assert from 'node:assert/strict';
import { lostRunEnd } from '../../src/extension/models/lostRun';
import { RunningStages } from '../../src/extension/models/runningStages';
import { StagesModel } from '../../src/extension/models/stagesModel';
import { pendingStages, runStateFixture } from './runStateFixture';

describe('a run whose engine process died without ending it', () => {
  it('ends in the views as a halt: no stage left running, the run halted with the reason, the rest as it was', () => {
    const stages = pendingStages(['architect', 'bootstrap', 'scaffold', 'build', 'assemble']);
    stages[0]!.status = 'done';
    stages[3]!.status = 'running';
    stages[4]!.status = 'running';
    const last = runStateFixture({ status: 'running', stages });
    const { events, state } = lostRunEnd(last, 'the engine process ended');

    const model = new StagesModel();
    model.loadState(last);
    const running = new RunningStages();
    running.seed(last);
    assert.deepEqual(running.stages, ['build', 'assemble']);
    for (const e of events) {
      model.apply(e, undefined, 0);
      running.apply(e);
    }
    const statuses = model.roots().flatMap((n) => (n.kind === 'stage' ? [`${n.id}:${n.status}`] : []));
    assert.deepEqual(statuses, ['architect:done', 'bootstrap:pending', 'scaffold:pending', 'build:failed', 'assemble:failed']);
    assert.deepEqual(running.stages, [], 'nothing shown as running');
    assert.equal(state.status, 'halted');
    assert.equal(state.haltReason, 'the engine process ended');
    assert.deepEqual(state.stages.map((s) => s.status), ['done', 'pending', 'pending', 'failed', 'failed']);
  });
});
