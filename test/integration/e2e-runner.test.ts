import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { projectRoot } from './harness';

// The e2e runner never skips silently: only BP_E2E_SKIP does, and it says the suite did not run.
describe('test/e2e/run-e2e.sh (as a real process)', function () {
  this.timeout(60_000);
  it('BP_E2E_SKIP=1 skips loudly: exit 0 and a banner saying the e2e tests did NOT run', () => {
    const r = spawnSync('bash', [path.join(projectRoot(), 'test', 'e2e', 'run-e2e.sh')], {
      env: { ...process.env, BP_E2E_SKIP: '1' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /e2e: SKIPPED because BP_E2E_SKIP=1 is set/);
    assert.match(r.stderr, /did NOT run/);
    assert.doesNotMatch(r.stderr, /packaging|installing/, 'nothing was built or installed');
  });
});
