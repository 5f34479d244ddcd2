import * as assert from 'node:assert/strict';
import { builderMayCommit } from '../../src/core/stages/builder';

describe('what the engine commits of a builder\'s changes', () => {
  const mayCommit = builderMayCommit('api', 'src/api', ['api', 'api-gateway', 'web']);

  it('its module folder, its brain, its session pairs and its own conflict reports', () => {
    for (const p of ['src/api/index.js', 'src/api/lib/x.js', '.orchestration/brains/api-builder.md', '.orchestration/training/api-session-pairs.jsonl', '.orchestration/conflicts/api-auth.md']) {
      assert.ok(mayCommit(p), p);
    }
  });

  it('not the conflict report of a module whose name begins with its own, nor anything of another module', () => {
    for (const p of ['.orchestration/conflicts/api-gateway-x.md', '.orchestration/conflicts/web-x.md', 'src/web/index.js', '.orchestration/brains/web-builder.md', 'package.json']) {
      assert.equal(mayCommit(p), false, p);
    }
  });
});
