import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { joinedPairFiles } from '../../src/core/stages/bootstrap';

describe('the bootstrap pairs the training agent wrote: bootstrap.jsonl and its continuation files', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bootstrap-files-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads them as one list in number order (10 after 2), each line ended, and names every file read', () => {
    fs.writeFileSync(path.join(dir, 'bootstrap.jsonl'), '{"a":1}\n{"a":2}');
    fs.writeFileSync(path.join(dir, 'bootstrap-10.jsonl'), '{"a":5}\n');
    fs.writeFileSync(path.join(dir, 'bootstrap-2.jsonl'), '{"a":3}\n{"a":4}\n');
    fs.writeFileSync(path.join(dir, 'bootstrap-x.jsonl'), '{"not":"a continuation"}\n');
    fs.writeFileSync(path.join(dir, 'session-api.jsonl'), '{"other":"file"}\n');
    const joined = joinedPairFiles(dir);
    assert.equal(joined.text, '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n{"a":5}\n');
    assert.deepEqual(joined.files, ['bootstrap.jsonl', 'bootstrap-2.jsonl', 'bootstrap-10.jsonl']);
  });

  it('takes continuation files without a main file, and reads nothing through a link', function () {
    if (process.platform === 'win32') this.skip();
    const outside = path.join(dir, 'outside.jsonl');
    fs.writeFileSync(outside, '{"secret":true}\n');
    fs.mkdirSync(path.join(dir, 'training'));
    fs.symlinkSync(outside, path.join(dir, 'training', 'bootstrap-3.jsonl'));
    fs.writeFileSync(path.join(dir, 'training', 'bootstrap-2.jsonl'), '{"a":1}\n');
    assert.equal(joinedPairFiles(path.join(dir, 'training')).text, '{"a":1}\n');
    assert.deepEqual(joinedPairFiles(path.join(dir, 'missing')), { text: '', files: ['bootstrap.jsonl'] });
  });
});
