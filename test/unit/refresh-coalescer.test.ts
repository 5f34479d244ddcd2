// The tree-refresh coalescing rule (issue #10: VS Code stays responsive with many modules), on a fake clock.
import * as assert from 'node:assert/strict';
import { PendingTreeChanges, RefreshCoalescer, type CoalescerClock } from '../../src/extension/models/refreshCoalescer';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements CoalescerClock {
  time = 1_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  get scheduled(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
}

describe('RefreshCoalescer: one tree refresh per interval however many events', () => {
  it('the first request after a quiet period flushes on the next tick', () => {
    const clock = new FakeClock();
    let flushes = 0;
    const c = new RefreshCoalescer(() => flushes++, 50, clock);
    c.request();
    assert.equal(flushes, 0, 'never synchronously inside the event handler');
    clock.advance(0);
    assert.equal(flushes, 1);
  });

  it('a burst of 1,000 requests in one tick is one flush', () => {
    const clock = new FakeClock();
    let flushes = 0;
    const c = new RefreshCoalescer(() => flushes++, 50, clock);
    for (let i = 0; i < 1000; i++) c.request();
    assert.equal(clock.scheduled, 1);
    clock.advance(10);
    assert.equal(flushes, 1);
  });

  it('a steady stream faster than the interval still flushes once per interval (a debounce would never flush)', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const c = new RefreshCoalescer(() => at.push(clock.now()), 50, clock);
    const start = clock.now();
    for (let t = 0; t < 1000; t += 5) {
      c.request();
      clock.advance(5);
    }
    clock.advance(100);
    assert.ok(at.length >= 19 && at.length <= 21, `flushes at ${at.map((t) => t - start).join(', ')}`);
    for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 50, `flushes ${at[i - 1]} and ${at[i]} are closer than the interval`);
    assert.ok(at[at.length - 1]! >= start + 995, 'the last request of the stream is flushed too');
  });

  it('a request right after a flush waits for the rest of the interval, not a whole new one', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const c = new RefreshCoalescer(() => at.push(clock.now()), 50, clock);
    c.request();
    clock.advance(0);
    clock.advance(20);
    c.request();
    clock.advance(29);
    assert.equal(at.length, 1);
    clock.advance(1);
    assert.deepEqual(at, [1000, 1050]);
  });

  it('after dispose nothing flushes and no timer is left', () => {
    const clock = new FakeClock();
    let flushes = 0;
    const c = new RefreshCoalescer(() => flushes++, 50, clock);
    c.request();
    c.dispose();
    assert.equal(clock.scheduled, 0);
    c.request();
    clock.advance(1000);
    assert.equal(flushes, 0);
    assert.equal(c.pending, false);
  });
});

describe('RefreshCoalescer with acknowledgement: never more than the consumer takes up', () => {
  it('holds the next flush until the consumer acknowledges the last one, then flushes once for everything asked meanwhile', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const c = new RefreshCoalescer(() => at.push(clock.now()), 50, clock, 5_000);
    c.request();
    clock.advance(0);
    assert.deepEqual(at, [1000]);
    for (let t = 0; t < 2000; t += 10) {
      c.request();
      clock.advance(10);
    }
    assert.deepEqual(at, [1000], 'a consumer still busy with the first flush is not sent another');
    assert.equal(c.pending, true);
    c.acknowledge();
    clock.advance(0);
    assert.deepEqual(at, [1000, 3000], 'one flush covers the 200 requests made meanwhile');
  });

  it('still keeps the interval after an early acknowledgement', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const c = new RefreshCoalescer(() => at.push(clock.now()), 50, clock, 5_000);
    c.request();
    clock.advance(0);
    c.request();
    clock.advance(10);
    c.acknowledge();
    clock.advance(39);
    assert.deepEqual(at, [1000]);
    clock.advance(1);
    assert.deepEqual(at, [1000, 1050]);
  });

  it('a consumer that never answers (a hidden view) gets the next flush after the timeout', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const c = new RefreshCoalescer(() => at.push(clock.now()), 50, clock, 2_000);
    c.request();
    clock.advance(0);
    c.request();
    clock.advance(1_999);
    assert.deepEqual(at, [1000]);
    clock.advance(1);
    assert.deepEqual(at, [1000, 3000]);
  });

  it('an acknowledgement with nothing asked meanwhile schedules nothing; dispose clears the wait', () => {
    const clock = new FakeClock();
    let flushes = 0;
    const c = new RefreshCoalescer(() => flushes++, 50, clock, 2_000);
    c.request();
    clock.advance(0);
    c.acknowledge();
    assert.equal(clock.scheduled, 0);
    assert.equal(c.pending, false);
    c.request();
    clock.advance(50);
    c.request();
    c.dispose();
    assert.equal(clock.scheduled, 0);
    assert.equal(c.pending, false);
    clock.advance(5_000);
    assert.equal(flushes, 2);
  });
});

describe('PendingTreeChanges: what one coalesced refresh covers', () => {
  it('collects changed nodes once each, and resets after take()', () => {
    const p = new PendingTreeChanges<{ n: number }>();
    const a = { n: 1 };
    const b = { n: 2 };
    p.addNodes([a, b]);
    p.addNodes([a]);
    assert.deepEqual(p.take(), [a, b]);
    assert.deepEqual(p.take(), []);
  });

  it('a structural change means the whole tree, and swallows node changes until taken', () => {
    const p = new PendingTreeChanges<{ n: number }>();
    p.addNodes([{ n: 1 }]);
    p.addStructure();
    p.addNodes([{ n: 2 }]);
    assert.equal(p.take(), undefined);
    const c = { n: 3 };
    p.addNodes([c]);
    assert.deepEqual(p.take(), [c]);
  });
});
