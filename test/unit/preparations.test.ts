import * as assert from 'node:assert/strict';
import { noPreparationRunning, preparationStarted } from '../../src/core/stages/preparations';

const settle = () => new Promise((r) => setImmediate(r));

describe('worktree preparations in flight (removals wait for them)', () => {
  it('is idle at once when nothing is being prepared', async () => {
    await noPreparationRunning({});
  });

  it('waits until every running preparation has ended, counting each end once', async () => {
    const run = {};
    const endA = preparationStarted(run);
    const endB = preparationStarted(run);
    let idle = false;
    void noPreparationRunning(run).then(() => (idle = true));
    endA();
    endA(); // a second call for the same preparation must not count as B's end
    await settle();
    assert.equal(idle, false, 'B is still running');
    endB();
    await settle();
    assert.equal(idle, true);
  });

  it('keeps runs apart', async () => {
    const busy = {};
    const end = preparationStarted(busy);
    await noPreparationRunning({});
    let idle = false;
    void noPreparationRunning(busy).then(() => (idle = true));
    await settle();
    assert.equal(idle, false);
    end();
    await settle();
    assert.equal(idle, true);
  });
});
