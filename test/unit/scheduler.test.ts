import * as assert from 'node:assert/strict';
import { runDag, type DagNode } from '../../src/core/scheduler';
import { TierLimiter } from '../../src/core/limiter';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DAG scheduler', () => {
  const diamond: DagNode[] = [
    { name: 'root', dependsOn: [] },
    { name: 'left', dependsOn: ['root'] },
    { name: 'right', dependsOn: ['root'] },
    { name: 'sink', dependsOn: ['left', 'right'] },
  ];

  it('starts a node only after all of its dependencies finished, and runs independent ones in parallel', async () => {
    const log: string[] = [];
    await runDag(diamond, async (n) => {
      log.push(`start ${n.name}`);
      await tick(n.name === 'left' ? 20 : 5);
      log.push(`end ${n.name}`);
      return { result: n.name, ok: true };
    });
    const at = (s: string) => log.indexOf(s);
    assert.ok(at('end root') < at('start left') && at('end root') < at('start right'));
    assert.ok(at('end left') < at('start sink') && at('end right') < at('start sink'));
    // right starts before left ends: siblings overlap.
    assert.ok(at('start right') < at('end left'));
  });

  it('skips everything downstream of a failed node, with the reason, and still runs the rest', async () => {
    const ran: string[] = [];
    const out = await runDag(diamond, async (n) => {
      ran.push(n.name);
      return { result: null, ok: n.name !== 'left' };
    });
    assert.deepEqual(ran.sort(), ['left', 'right', 'root']);
    assert.deepEqual(out.get('sink'), { kind: 'skipped', reason: 'dependency left did not succeed' });
  });

  it('stops starting new nodes once cancelled', async () => {
    const ac = new AbortController();
    const ran: string[] = [];
    const out = await runDag(
      diamond,
      async (n) => {
        ran.push(n.name);
        if (n.name === 'root') ac.abort();
        return { result: null, ok: true };
      },
      { signal: ac.signal },
    );
    assert.deepEqual(ran, ['root']);
    assert.equal(out.get('sink')?.kind, 'skipped');
  });

  it('with the wave limiter inside the work, concurrency never exceeds the tier limit', async () => {
    const wide: DagNode[] = [{ name: 'root', dependsOn: [] }, ...Array.from({ length: 12 }, (_, i) => ({ name: `m${i}`, dependsOn: ['root'] }))];
    const limiter = new TierLimiter({ opus: 1, sonnet: 4, haiku: 1 });
    let running = 0;
    let peak = 0;
    await runDag(wide, (n) =>
      limiter.run('sonnet', undefined, async () => {
        running++;
        peak = Math.max(peak, running);
        await tick(5);
        running--;
        return { result: n.name, ok: true };
      }),
    );
    assert.equal(peak, 4);
  });

  it('reports a cycle instead of hanging', async () => {
    const out = await runDag(
      [
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['a'] },
      ],
      async () => ({ result: null, ok: true }),
    );
    assert.equal(out.get('a')?.kind, 'skipped');
  });
});
