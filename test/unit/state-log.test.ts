import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { RunState } from '../../src/core/contracts/schemas';
import { applyDelta, StateDiffer } from '../../src/core/run/stateDelta';
import { changesFileOf, readStateWithChanges, StateLog } from '../../src/core/run/stateLog';
import { readState, RunStore } from '../../src/core/run/store';
import { runPaths, createRunDir } from '../../src/core/run/runDir';
import { pendingStages, runStateFixture, zeroUsage } from './runStateFixture';

const RUN_ID = '20260101-000000-0a1b2c3d';

function runState(runDir: string, modules: number): RunState {
  return runStateFixture({
    runDir,
    description: 'state log test',
    stages: pendingStages(['architect', 'build', 'assemble']),
    modules: Array.from({ length: modules }, (_, i) => ({
      name: `mod-${i}`,
      status: 'pending' as const,
      tier: 'sonnet' as const,
      branch: `orchestration/${RUN_ID}/mod-${i}`,
      fixCycles: 0,
      qcAttempts: 0,
      usage: zeroUsage(),
    })),
  });
}

function tempRunDir(): { dir: string; paths: ReturnType<typeof runPaths> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-statelog-'));
  const paths = runPaths(root, RUN_ID);
  createRunDir(paths);
  return { dir: root, paths };
}

/** The updates a module goes through in a build, in the shape the stages make them. */
function moduleLifecycle(s: RunState, i: number): Array<(s: RunState) => void> {
  const m = () => s.modules[i]!;
  return [
    () => (m().status = 'building'),
    () => (m().worktree = `/wt/mod-${i}`),
    () => {
      s.agentUsage[`builder-mod-${i}-0`] = { input: 10, output: 20, cacheRead: 5, cacheWrite: 1, calls: 3 };
      // The build stage's counters change with every agent; that alone is no reason for a snapshot.
      s.stages[1]!.usage.calls += 3;
    },
    () => (m().engineHead = 'b'.repeat(40)),
    () => (m().status = 'qc'),
    () => (s.agentUsage[`qc-mod-${i}-1`] = { input: 7, output: 9, cacheRead: 3, cacheWrite: 0, calls: 2 }),
    () => {
      m().verdict = 'PASS';
      m().qcAttempts = 1;
    },
    () => (m().status = 'passed'),
    () => (m().worktree = undefined),
    () => (s.merges = [...(s.merges ?? []), { module: m().name, branch: m().branch, merge: 'clean', tests: 'pass', status: 'MERGED' }]),
  ];
}

describe('run state: change lines after a snapshot', () => {
  it('replaying the operations of every update rebuilds the state exactly, including removed fields, reordered and dropped modules', () => {
    const state = runState('/run', 4) as unknown as Record<string, unknown> & RunState;
    const differ = new StateDiffer();
    const replica = JSON.parse(JSON.stringify(state)) as Record<string, unknown>;
    differ.reset(state);
    const steps: Array<(s: RunState) => void> = [
      ...moduleLifecycle(state, 0),
      (s) => (s.haltReason = 'stopped'),
      (s) => delete s.haltReason,
      (s) => s.modules.reverse(),
      (s) => s.modules.splice(1, 1),
      (s) => s.modules.splice(1, 0, { ...s.modules[0]!, name: 'inserted', status: 'pending' }),
      (s) => delete s.agentUsage['builder-mod-0-0'],
      (s) => (s.gates = [{ gate: 'blueprint', decision: 'approve', by: 'test', at: 'now' } as RunState['gates'][number]]),
      (s) => (s.merges = []),
      (s) => (s.roleUsage = {}),
    ];
    for (const step of steps) {
      step(state);
      // Through JSON, as the operations go through the disk.
      applyDelta(replica, JSON.parse(JSON.stringify(differ.diff(state))));
      assert.deepEqual(replica, JSON.parse(JSON.stringify(state)));
    }
    assert.deepEqual(differ.diff(state), [], 'nothing changed, nothing to write');
  });

  it('lines replayed over a snapshot taken after them give that snapshot again (a crash between snapshot and truncation)', () => {
    const { dir, paths } = tempRunDir();
    try {
      const state = runState(paths.runDir, 3);
      const log = new StateLog(paths.state);
      log.write(state);
      for (const step of moduleLifecycle(state, 1)) {
        step(state);
        log.write(state);
      }
      const lines = fs.readFileSync(changesFileOf(paths.state), 'utf8');
      log.snapshot(state);
      // The crash: the snapshot is on disk, the old lines were not removed yet.
      fs.writeFileSync(changesFileOf(paths.state), lines);
      assert.deepEqual(readStateWithChanges(paths.state), JSON.parse(JSON.stringify(state)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a line cut short by a crash is ignored and every line before it applies; a line of the wrong shape is an error', () => {
    const { dir, paths } = tempRunDir();
    try {
      const state = runState(paths.runDir, 2);
      const log = new StateLog(paths.state);
      log.write(state);
      state.modules[0]!.status = 'passed';
      log.write(state);
      fs.appendFileSync(changesFileOf(paths.state), '[["item","modules","mod-1",{"name":"mod-1","sta');
      const read = readState(paths.state);
      assert.equal(read.modules[0]!.status, 'passed');
      assert.equal(read.modules[1]!.status, 'pending');
      fs.appendFileSync(changesFileOf(paths.state), '\n[["item","modules"]]\n');
      // The torn line stops the replay before it; a wrong shape written whole is reported.
      assert.equal(readState(paths.state).modules[0]!.status, 'passed');
      fs.writeFileSync(changesFileOf(paths.state), '[["item","modules"]]\n');
      assert.throws(() => readState(paths.state), /not a state change/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bytes written grow linearly with the number of modules (not with its square)', () => {
    const written = (modules: number) => {
      const { dir, paths } = tempRunDir();
      try {
        const state = runState(paths.runDir, modules);
        const log = new StateLog(paths.state);
        log.write(state);
        for (let i = 0; i < modules; i++) {
          for (const step of moduleLifecycle(state, i)) {
            step(state);
            log.write(state);
          }
        }
        return { ...log.written, finalSize: fs.statSync(paths.state).size };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const small = written(50);
    const large = written(200);
    // One line per update, and a line's size does not depend on how many modules there are…
    assert.equal(large.changeLines, 200 * 10);
    assert.ok(large.changeBytes / large.changeLines < 1.2 * (small.changeBytes / small.changeLines), `${JSON.stringify(small)} vs ${JSON.stringify(large)}`);
    // …and snapshots together weigh at most the lines plus the first and the largest snapshot.
    assert.ok(large.snapshotBytes <= large.changeBytes + 2 * large.finalSize, JSON.stringify(large));
    assert.ok(large.snapshots < 12, `${large.snapshots} snapshots`);
  });

  it('an update is on disk when update() returns: a process killed right after it resumes with it', async function () {
    const { dir, paths } = tempRunDir();
    try {
      const state = runState(paths.runDir, 3);
      const store = new RunStore(paths, state);
      store.save();
      const script = `
        const { RunStore } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/run/store.js'))});
        const paths = JSON.parse(process.argv[1]);
        const store = RunStore.load(paths);
        store.update((s) => { s.modules[0].detail = 'first update of this process: a snapshot'; });
        store.update((s) => { s.modules[2].status = 'passed'; s.modules[2].builtCommit = 'c'.repeat(40); });
        process.stdout.write('durable\\n');
        setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['-e', script, JSON.stringify(paths)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('durable') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code} before its update`)));
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      assert.ok(fs.existsSync(changesFileOf(paths.state)), 'the update was appended as a change line');
      const resumed = RunStore.load(paths);
      assert.equal(resumed.module('mod-2').status, 'passed');
      assert.equal(resumed.module('mod-2').builtCommit, 'c'.repeat(40));
      assert.equal(resumed.module('mod-1').status, 'pending');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
