import * as assert from 'node:assert/strict';
import { BufferingEmitter } from '../../src/core/events';

describe('BufferingEmitter: events fired before anyone listens', () => {
  it('hands what was fired early to the first listener, then fires as usual', () => {
    const emitter = new BufferingEmitter<number>();
    emitter.fire(1);
    emitter.fire(2);
    const first: number[] = [];
    const second: number[] = [];
    emitter.event((n) => first.push(n));
    emitter.fire(3);
    emitter.event((n) => second.push(n));
    emitter.fire(4);
    assert.deepEqual(first, [1, 2, 3, 4]);
    assert.deepEqual(second, [4], 'the early events go to the first listener only, once');
  });

  it('keeps at most `keep` early events, dropping the oldest, and a throwing listener still gets them all', () => {
    const emitter = new BufferingEmitter<number>(3);
    for (let n = 1; n <= 5; n++) emitter.fire(n);
    const seen: number[] = [];
    emitter.event((n) => {
      seen.push(n);
      throw new Error('broken view');
    });
    assert.deepEqual(seen, [3, 4, 5]);
  });

  it('after dispose nothing more is fired or kept, but what was kept still reaches the first listener (a run that ended in its first burst)', () => {
    const emitter = new BufferingEmitter<number>();
    emitter.fire(1);
    emitter.dispose();
    emitter.fire(2);
    const seen: number[] = [];
    emitter.event((n) => seen.push(n));
    emitter.fire(3);
    assert.deepEqual(seen, [1]);
  });
});
