/**
 * Which modules a ship-gate "Request changes" names (src/core/stages/refixModule.ts): a module's name
 * as a whole word, case-insensitive, each once; names inside longer names do not count.
 */
import * as assert from 'node:assert/strict';
import { modulesNamedIn } from '../../src/core/stages/refixModule';

const MODULES = ['formatter', 'greeter', 'api', 'api-client', 'core.utils'];

describe('ship-gate feedback: which modules it names', () => {
  const cases: [string, string[]][] = [
    ['Mention the MIT licence', []],
    ['greeter should reject empty names', ['greeter']],
    ['The Greeter must trim input.', ['greeter']],
    ['see `greeter`', ['greeter']],
    ['src/greeter/index.js: line 3 is wrong', ['greeter']],
    ['formatter and greeter both need docs', ['formatter', 'greeter']],
    ['greeter, then formatter', ['formatter', 'greeter']],
    ['the greeter-cli README is thin', []],
    ['greeters are fine, reformatter too', []],
    ['my_greeter is not a module', []],
    ['the api-client retries too often', ['api-client']],
    ['the api is slow', ['api']],
    ['fix core.utils.', ['core.utils']],
    ['core.utilsx is unrelated', []],
    ['', []],
  ];
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} → ${want.length ? want.join(', ') : 'none'}`, () => assert.deepEqual(modulesNamedIn(text, MODULES), want));
  }

  it('a module name with regex characters is matched literally', () => {
    assert.deepEqual(modulesNamedIn('core.utils broke', ['core.utils', 'coreXutils']), ['core.utils']);
    assert.deepEqual(modulesNamedIn('coreXutils broke', ['core.utils']), []);
  });
});
