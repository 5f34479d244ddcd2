import * as assert from 'node:assert/strict';
import { lostRunEnd } from '../../src/extension/models/lostRun';
import { RunningStages } from '../../src/extension/models/runningStages';
import { StagesModel } from '../../src/extension/models/stagesModel';
import { ModulesModel } from '../../src/extension/models/modulesModel';
import { pendingStages, runStateFixture, zeroUsage } from './runStateFixture';
import type { RunState } from '../../src/core/contracts/schemas';

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

  it('leaves no module building and no worktree folder behind, and no stage offering a gate nobody waits at', () => {
    const stages = pendingStages(['architect', 'build']);
    stages[0]!.status = 'done';
    stages[1]!.status = 'running';
    const module = (name: string, status: RunState['modules'][number]['status'], worktree?: string): RunState['modules'][number] => ({
      name,
      status,
      tier: 'sonnet',
      branch: `orchestration/r/${name}`,
      fixCycles: 0,
      qcAttempts: 0,
      usage: zeroUsage(),
      ...(worktree ? { worktree } : {}),
    });
    const last = runStateFixture({
      status: 'running',
      stages,
      modules: [module('parser', 'merged'), module('greeter', 'qc', '/run/worktrees/greeter'), module('formatter', 'fixing', '/run/worktrees/formatter')],
    });
    const { events, state } = lostRunEnd(last, 'the engine process was killed (SIGKILL) before the run ended; resume the run to continue it');

    const modules = new ModulesModel();
    modules.loadState(last);
    const stagesModel = new StagesModel();
    stagesModel.loadState(last);
    // The build stage was waiting at a gate when the process died.
    stagesModel.apply({ type: 'gate-waiting', gate: 'conflict', summary: 'a contract conflict' }, undefined, 0);
    const removed: string[] = [];
    for (const e of events) {
      modules.apply(e);
      stagesModel.apply(e, undefined, 0);
      if (e.type === 'worktree-removed') removed.push(e.path);
    }
    assert.deepEqual(modules.roots().map((m) => `${m.name}:${m.status}:${m.worktree ?? '-'}`), ['parser:merged:-', 'greeter:cancelled:-', 'formatter:cancelled:-']);
    assert.deepEqual(removed.sort(), ['/run/worktrees/formatter', '/run/worktrees/greeter'], 'their workspace folders go');
    assert.equal(stagesModel.roots().some((n) => n.kind === 'gate' || (n.kind === 'stage' && n.gate !== undefined)), false, 'no gate offered');
    assert.deepEqual(state.modules.map((m) => m.status), ['merged', 'cancelled', 'cancelled']);
  });
});
