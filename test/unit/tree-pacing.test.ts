// What the trees redraw with many modules (issue #10): the modules of a blueprint arrive in one
// structural change, not one per module, and token/cost updates are marked as counts (drawn at a
// slower pace than status changes).
import * as assert from 'node:assert/strict';
import type { RunState } from '../../src/core/contracts/schemas';
import type { ModelChange } from '../../src/extension/models/changes';
import { ModulesModel, type ModuleNode } from '../../src/extension/models/modulesModel';
import { StagesModel, type StagesNode } from '../../src/extension/models/stagesModel';

const zero = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 };
const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, calls: 1 };

function listed(names: string[]): Pick<RunState, 'modules' | 'runDir'> {
  return {
    runDir: '/runs/r',
    modules: names.map((name) => ({ name, status: 'pending', branch: `orchestration/r/${name}`, qcAttempts: 0, fixCycles: 0, usage: { ...zero } })) as RunState['modules'],
  };
}

describe('Tree pacing with many modules', () => {
  it('the modules a state lists arrive in one structural change; the events after it change rows in place', () => {
    const m = new ModulesModel();
    const changes: ModelChange<ModuleNode>[] = [];
    m.onDidChange((c) => changes.push(c));
    m.apply({ type: 'module-status', module: 'mod-02', status: 'building' });
    assert.deepEqual(changes.map((c) => c.kind), ['structure'], 'a module an event names first is added');
    const names = Array.from({ length: 50 }, (_, i) => `mod-${String(i + 1).padStart(2, '0')}`);
    m.addListed(listed(names));
    assert.deepEqual(changes.map((c) => c.kind), ['structure', 'structure'], 'one change for the other 49');
    assert.equal(m.roots().length, 50);
    assert.equal(m.get('mod-02')!.status, 'building', 'a module already shown keeps its node and state');
    m.addListed(listed(names));
    assert.equal(changes.length, 2, 'nothing new, no change');
    for (const name of names) m.apply({ type: 'module-status', module: name, status: 'building' });
    assert.ok(changes.slice(2).every((c) => c.kind === 'nodes'), 'no more whole-tree redraws');
  });

  it('token and cost updates are counts changes, status changes are not', () => {
    const modules = new ModulesModel();
    modules.addListed(listed(['a']));
    const mc: ModelChange<ModuleNode>[] = [];
    modules.onDidChange((c) => mc.push(c));
    modules.apply({ type: 'agent-usage', agentId: 'b', role: 'builder', module: 'a', stage: 'build', usage }, 0.01);
    modules.apply({ type: 'module-status', module: 'a', status: 'qc' });
    assert.deepEqual(mc.map((c) => (c.kind === 'nodes' ? !!c.minor : 'structure')), [true, false]);
    assert.equal(modules.get('a')!.usage.input, 10);

    const stages = new StagesModel();
    stages.apply({ type: 'stage-started', stage: 'build' });
    const sc: ModelChange<StagesNode>[] = [];
    stages.onDidChange((c) => sc.push(c));
    stages.apply({ type: 'agent-usage', agentId: 'b', role: 'builder', module: 'a', stage: 'build', usage }, 0.01);
    stages.apply({ type: 'stage-ended', stage: 'build', status: 'done' });
    assert.deepEqual(sc.map((c) => (c.kind === 'nodes' ? !!c.minor : 'structure')), [true, false]);
  });
});
