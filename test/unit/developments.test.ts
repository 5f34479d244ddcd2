import * as assert from 'node:assert/strict';
import { Developments, type Developed } from '../../src/core/stages/developments';

/** A development whose end and whose worktree release the test decides. */
function controlled(): { start: () => Promise<Developed>; end: (status: Developed['status']) => void; release: () => void; started: () => number } {
  let starts = 0;
  let end: (d: Developed) => void = () => undefined;
  let release: () => void = () => undefined;
  return {
    start: () => {
      starts++;
      const released = new Promise<void>((r) => (release = r));
      return new Promise<Developed>((r) => (end = (d) => r(d))).then((d) => ({ ...d, released }));
    },
    end: (status) => end({ status, released: Promise.resolve() }),
    release: () => release(),
    started: () => starts,
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('module developments: who joins, who starts a builder of their own', () => {
  it('a caller without findings joins the development that runs (the build joining assembly\'s fix cycle)', async () => {
    const developments = new Developments();
    const fix = controlled();
    const first = developments.develop('m', true, fix.start);
    const joined = developments.develop('m', false, () => assert.fail('no second development'));
    fix.end('passed');
    assert.equal((await joined).status, 'passed');
    assert.equal(await first, await joined);
    assert.equal(fix.started(), 1);
  });

  it('a caller with findings never gets an ended development\'s status: it waits for the worktree\'s release and starts its own', async () => {
    const developments = new Developments();
    const build = controlled();
    const first = developments.develop('m', false, build.start);
    build.end('passed');
    assert.equal((await first).status, 'passed');
    // Passed, its worktree still being released (dependents are preparing): assembly sends it back.
    const fix = controlled();
    const sentBack = developments.develop('m', true, fix.start);
    await settle();
    assert.equal(fix.started(), 0, 'not before the release');
    assert.ok(developments.has('m'));
    build.release();
    await settle();
    assert.equal(fix.started(), 1, 'a builder of its own, with the findings');
    fix.end('failed');
    assert.equal((await sentBack).status, 'failed', 'its own outcome, not the earlier "passed"');
    fix.release();
    await settle();
    assert.equal(developments.has('m'), false, 'free again once released');
  });

  it('two callers with findings take turns, each with a development of its own', async () => {
    const developments = new Developments();
    const a = controlled();
    const b = controlled();
    const first = developments.develop('m', true, a.start);
    const second = developments.develop('m', true, b.start);
    a.end('passed');
    await first;
    await settle();
    assert.equal(b.started(), 0, 'the second waits for the first\'s release');
    a.release();
    await settle();
    assert.equal(b.started(), 1);
    b.end('passed');
    assert.equal((await second).status, 'passed');
  });

  it('is at rest once no development runs and its worktree is released', async () => {
    const developments = new Developments();
    await developments.idle('m'); // none: at once
    const fix = controlled();
    void developments.develop('m', true, fix.start);
    let rested = false;
    void developments.idle('m').then(() => (rested = true));
    fix.end('passed');
    await settle();
    assert.equal(rested, false, 'ended, its worktree not yet released');
    fix.release();
    await settle();
    assert.equal(rested, true);
    assert.equal(developments.has('m'), false);
  });

  it('keeps modules apart', async () => {
    const developments = new Developments();
    const x = controlled();
    const y = controlled();
    void developments.develop('x', false, x.start);
    void developments.develop('y', true, y.start);
    assert.equal(x.started() + y.started(), 2);
  });
});
