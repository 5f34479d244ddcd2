import * as assert from 'node:assert/strict';
import { standsAside } from '../../src/core/assembly/mergeTests';
import type { PipelineContext } from '../../src/core/stages/context';

/** Just the part of a run's context the rule reads: the stages' statuses. */
function runWithBuild(status: string): PipelineContext {
  return { store: { state: { stages: [{ id: 'build', status }, { id: 'assemble', status: 'running' }] } } } as unknown as PipelineContext;
}

describe("assembly's tests stand aside for the build", () => {
  it("runs a merge's own and the project's tests in the background while the build runs", () => {
    assert.equal(standsAside(runWithBuild('running'), { kind: 'module', command: 'npm test' }), true);
    assert.equal(standsAside(runWithBuild('running'), { kind: 'project', command: 'npm run test:it' }), true);
  });

  it('runs the full suite, and everything once the build has ended, at the normal priority', () => {
    assert.equal(standsAside(runWithBuild('running'), { kind: 'full', command: 'npm test' }), false);
    for (const status of ['done', 'failed', 'pending']) assert.equal(standsAside(runWithBuild(status), { kind: 'module', command: 'npm test' }), false, status);
  });
});
