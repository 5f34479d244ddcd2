import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { projectRoot } from './harness';
import { startScriptedModel, type ReceivedRequest } from '../../src/scripted';
import { defaultConfig } from '../../src/core/config';

const SCRIPT = path.join(projectRoot(), 'out', 'scripts', 'smoke-live.js');

/** Runs the built smoke script as a real process (async: the scripted model below lives in this process). */
function smoke(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

describe('npm run smoke:live (out/scripts/smoke-live.js as a real process)', function () {
  this.timeout(180_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-smoke-test-')))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function baseEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.ANTHROPIC_API_KEY;
    delete env.ANTHROPIC_BASE_URL;
    return env;
  }

  it('without ANTHROPIC_API_KEY prints SKIPPED, exits 0 and creates nothing', async () => {
    const r = await smoke(baseEnv());
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'SKIPPED: set ANTHROPIC_API_KEY\n');
    assert.deepEqual(fs.readdirSync(tmp), [], 'no repository was made');
  });

  it('with a key, runs the sample through the CLI on haiku for every role with a $1 budget and prints the report', async () => {
    // The "real API" here is the scripted model behind ANTHROPIC_BASE_URL: no network, same wire protocol.
    const requests: ReceivedRequest[] = [];
    const model = await startScriptedModel({ onRequest: (req) => requests.push(req) });
    try {
      const r = await smoke({ ...baseEnv(), ANTHROPIC_API_KEY: 'sk-smoke-test-not-a-key', ANTHROPIC_BASE_URL: model.url });
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /every role on haiku, budget \$1\.00/);
      assert.doesNotMatch(r.out, /demo \(scripted model, offline\)/, 'it ran in API mode, not the offline demo');
      assert.match(r.out, /# Run report \d{8}-\d{6}-[0-9a-f]{8}\n\nStatus: succeeded/);
      assert.match(r.out, /\| estimated cost \| \$\d+\.\d{4} \|/);
      const repo = /Repository: (.*)/.exec(r.out)![1]!;
      assert.equal(path.dirname(repo), tmp, 'a fresh repository in the temp folder');
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(repo, '.build-pipeline.json'), 'utf8')).budgetUsd, 1);
      assert.ok(requests.length > 0);
      const models = new Set(requests.map((q) => q.model));
      assert.deepEqual([...models], [defaultConfig().tierModels.haiku], 'every agent ran on the haiku tier');
      assert.doesNotMatch(r.out + r.err, /sk-smoke-test-not-a-key/, 'the key is never printed');
    } finally {
      await model.close();
    }
  });
});
