// Build and assembly running at once (streaming assembly, issue #10): the controller's set of running
// stages, the Stages tree rows and the status bar's text all show both.
import * as assert from 'node:assert/strict';
import type { RunState } from '../../src/core/contracts/schemas';
import type { PipelineEvent } from '../../src/core/events';
import { RunningStages } from '../../src/extension/models/runningStages';
import { StagesModel, type StageNode } from '../../src/extension/models/stagesModel';
import { statusText } from '../../src/extension/models/statusText';
import { runStateFixture } from './runStateFixture';

const zero = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 };

function stagesState(statuses: Record<string, RunState['stages'][number]['status']>): Pick<RunState, 'stages'> {
  return { stages: Object.entries(statuses).map(([id, status]) => ({ id, status, attempts: 0, usage: { ...zero } })) };
}

/** The engine's events for a streamed build: assembly starts right after the build and ends after it. */
const STREAMED: PipelineEvent[] = [
  { type: 'stage-started', stage: 'build' },
  { type: 'stage-started', stage: 'assemble' },
  { type: 'module-status', module: 'a', status: 'passed' },
  { type: 'merge', module: 'a', result: 'clean', tests: 'pass' },
];

describe('RunningStages: every stage running now', () => {
  it('holds build and assemble together while both run, in the order they started', () => {
    const running = new RunningStages();
    const changed = STREAMED.map((e) => running.apply(e));
    assert.deepEqual(changed, [true, true, false, false], 'only stage events change the set');
    assert.deepEqual(running.stages, ['build', 'assemble']);
    assert.equal(running.label, 'Build + Assemble');
  });

  it('drops a stage when it ends, whatever the end (done, waiting at a gate, back to pending)', () => {
    const running = new RunningStages();
    for (const e of STREAMED) running.apply(e);
    assert.equal(running.apply({ type: 'stage-ended', stage: 'build', status: 'done' }), true);
    assert.deepEqual(running.stages, ['assemble']);
    assert.equal(running.label, 'Assemble');
    assert.equal(running.apply({ type: 'stage-ended', stage: 'assemble', status: 'pending', detail: 'stopped with Build' }), true);
    assert.deepEqual(running.stages, []);
    assert.equal(running.label, undefined);
    running.apply({ type: 'stage-started', stage: 'architect' });
    running.apply({ type: 'stage-ended', stage: 'architect', status: 'waiting' });
    assert.deepEqual(running.stages, [], 'a stage waiting at its gate is not running');
  });

  it('a stage started twice (a rerun after Request Changes) is listed once; the end of the run clears the set', () => {
    const running = new RunningStages();
    running.apply({ type: 'stage-started', stage: 'architect' });
    assert.equal(running.apply({ type: 'stage-started', stage: 'architect' }), false);
    assert.deepEqual(running.stages, ['architect']);
    running.apply({ type: 'stage-started', stage: 'build' });
    assert.equal(running.apply({ type: 'run-ended', runId: 'r', status: 'cancelled' }), true);
    assert.deepEqual(running.stages, []);
    assert.equal(running.apply({ type: 'run-ended', runId: 'r', status: 'cancelled' }), false);
  });

  it('is seeded from a state (attach, resume) with every stage the state says is running', () => {
    const running = new RunningStages();
    running.seed(stagesState({ architect: 'done', build: 'running', assemble: 'running', curate: 'pending' }));
    assert.deepEqual(running.stages, ['build', 'assemble']);
    running.seed(undefined);
    assert.deepEqual(running.stages, []);
  });
});

describe('Both stages running in the Stages tree and the status bar', () => {
  it('the Stages rows of build and assemble both show running', () => {
    const model = new StagesModel();
    model.loadState({ ...baseState(), ...stagesState({ architect: 'done', build: 'pending', assemble: 'pending', curate: 'pending' }) });
    for (const e of STREAMED) model.apply(e);
    const running = model.roots().filter((n): n is StageNode => n.kind === 'stage' && n.status === 'running');
    assert.deepEqual(running.map((n) => n.id), ['build', 'assemble']);
    model.apply({ type: 'stage-ended', stage: 'build', status: 'done' });
    const after = model.roots().filter((n): n is StageNode => n.kind === 'stage' && n.status === 'running');
    assert.deepEqual(after.map((n) => n.id), ['assemble']);
  });

  it('a state on disk with both running loads into two running rows', () => {
    const model = new StagesModel();
    model.loadState({ ...baseState(), ...stagesState({ build: 'running', assemble: 'running' }) });
    assert.deepEqual(
      model.roots().map((n) => (n.kind === 'stage' ? `${n.id}:${n.status}` : n.kind)),
      ['build:running', 'assemble:running'],
    );
  });

  it('the status bar names both, and says so in its tooltip', () => {
    const shown = statusText({ active: true, offline: true, stages: ['build', 'assemble'], costUsd: 0.12 });
    assert.ok(shown);
    assert.match(shown.text, /Build Pipeline \(demo\): Build \+ Assemble · ≈\$0\.12 at API prices/);
    assert.match(shown.tooltip, /Running at once: Build, Assemble\./);
    assert.equal(shown.command, 'buildPipeline.showLog');
    assert.equal(shown.warning, false);
  });

  it('one stage reads as before; none yet reads "starting"; a waiting gate takes over; nothing active hides it', () => {
    assert.match(statusText({ active: true, offline: false, stages: ['build'], costUsd: 0 })!.text, /: Build · ≈\$0\.00$/);
    assert.doesNotMatch(statusText({ active: true, offline: false, stages: ['build'], costUsd: 0 })!.tooltip, /at once/);
    assert.match(statusText({ active: true, offline: false, stages: [], costUsd: 0 })!.text, /: starting · /);
    const gate = statusText({ active: true, offline: false, stages: ['build', 'assemble'], costUsd: 0, gate: 'ship' })!;
    assert.match(gate.text, /Ship gate/);
    assert.equal(gate.command, 'buildPipeline.approveGate');
    assert.equal(gate.warning, true);
    assert.equal(statusText({ active: false, offline: false, stages: [], costUsd: 0 }), undefined);
  });
});

function baseState(): RunState {
  return runStateFixture({ runDir: '/runs/r' });
}
