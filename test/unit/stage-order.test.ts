import * as assert from 'node:assert/strict';
import { inRecordedOrder, STAGES } from '../../src/core/pipeline';

const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);
const OLD_ORDER = ['architect', 'bootstrap', 'scaffold', 'build', 'assemble', 'harden', 'ship', 'curate'];

function recorded(order: string[], statuses: Record<string, string>): { id: string; status: string }[] {
  return order.map((id) => ({ id, status: statuses[id] ?? 'pending' }));
}

describe('the order of a run’s stages', () => {
  it('a new run goes in the code’s order: curate before ship', () => {
    assert.deepEqual(ids(inRecordedOrder(STAGES, recorded(ids(STAGES), {}))).slice(-2), ['curate', 'ship']);
  });

  it('a run stored with ship before curate, waiting at its ship gate, keeps its order', () => {
    const done = Object.fromEntries(OLD_ORDER.slice(0, 6).map((id) => [id, 'done']));
    assert.deepEqual(ids(inRecordedOrder(STAGES, recorded(OLD_ORDER, { ...done, ship: 'waiting' }))), OLD_ORDER);
  });

  it('a run stored with ship before curate that has not reached ship takes the new order, so its memory ships', () => {
    assert.deepEqual(ids(inRecordedOrder(STAGES, recorded(OLD_ORDER, { architect: 'done', bootstrap: 'done', scaffold: 'done', build: 'running' }))), ids(STAGES));
  });
});
