// The training folder is written by builders; the engine reads it from outside the sandbox
// (src/core/training/pairs.ts, sessionPairs.ts): a FIFO must not block it, a link must not lead it out.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pairIdsIn } from '../../src/core/training/pairs';
import { sessionPairsRel, startPairId } from '../../src/core/training/sessionPairs';

describe('training files a builder wrote, read by the engine', () => {
  let dir: string;
  beforeEach(() => (dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-training-files-')))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the ids of regular files only: a FIFO does not block, a link to a file outside is not followed', () => {
    const training = path.join(dir, 'wt', '.orchestration', 'training');
    fs.mkdirSync(training, { recursive: true });
    fs.writeFileSync(path.join(training, 'a-session-pairs.jsonl'), '{"pair_id":"qa-10001"}\n');
    fs.writeFileSync(path.join(dir, 'outside.jsonl'), '{"pair_id":"qa-99999"}\n');
    fs.symlinkSync(path.join(dir, 'outside.jsonl'), path.join(training, 'linked.jsonl'));
    execFileSync('mkfifo', [path.join(training, 'zz.jsonl')]);
    assert.deepEqual([...pairIdsIn(training)], ['qa-10001']);
  });

  it('starts a builder after the ids in its own file, and at its block when that file is a FIFO or a link', () => {
    const wt = path.join(dir, 'wt');
    const file = path.join(wt, sessionPairsRel('api'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"pair_id":"qa-10104"}\n');
    assert.equal(startPairId(wt, 'api', ['db', 'api']), '10105');
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    assert.equal(startPairId(wt, 'api', ['db', 'api']), '10100');
    fs.rmSync(file);
    fs.writeFileSync(path.join(dir, 'outside.jsonl'), '{"pair_id":"qa-10150"}\n');
    fs.symlinkSync(path.join(dir, 'outside.jsonl'), file);
    assert.equal(startPairId(wt, 'api', ['db', 'api']), '10100');
  });
});
