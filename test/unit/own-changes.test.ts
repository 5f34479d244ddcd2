import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { changedFiles, ownChangedPaths } from '../../src/extension/git/gitCli';

describe('a module branch\'s own changes, for its diff review', () => {
  it('are what its own commits changed, not what a merge of the integration branch into it (a refix) brought', async () => {
    const repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-own-changes-')));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', ...args], { cwd: repo, encoding: 'utf8' }).trim();
    const commit = (file: string, text: string, message: string) => {
      fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      fs.writeFileSync(path.join(repo, file), text);
      git('add', '.');
      git('commit', '-q', '-m', message);
    };
    try {
      git('init', '-q', '-b', 'integration');
      commit('README.md', 'scaffold\n', 'scaffold');
      const base = git('rev-parse', 'HEAD');
      git('checkout', '-q', '-b', 'greeter');
      commit('src/greeter/index.js', 'v1\n', 'build(greeter)');
      git('checkout', '-q', 'integration');
      commit('src/formatter/index.js', 'other module\n', 'merge formatter');
      git('checkout', '-q', 'greeter');
      git('merge', '-q', '--no-ff', '-m', 'refix: bring in integration', 'integration');
      commit('src/greeter/index.js', 'v2\n', 'fix(greeter)');
      commit('src/greeter/extra file.js', 'x\n', 'fix(greeter) 2');
      const head = git('rev-parse', 'HEAD');
      assert.deepEqual([...(await ownChangedPaths(repo, base, head))].sort(), ['src/greeter/extra file.js', 'src/greeter/index.js']);
      assert.ok((await changedFiles(repo, base, head)).some((f) => f.path === 'src/formatter/index.js'), 'the plain diff holds the other module');
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
