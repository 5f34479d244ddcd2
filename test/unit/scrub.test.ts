/**
 * What the engine commits from agents' words (memory, brain files, training pairs) carries no secret
 * and no path of this machine (run/scrub.ts), whatever the agent wrote.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeScrubber, scrubJson } from '../../src/core/run/scrub';
import { FileMemoryStore } from '../../src/core/memory/fileStore';
import { scrubAgentFiles, scrubAgentFolder } from '../../src/core/agents/agentFiles';

const home = '/home/alice';
const repoRoot = `${home}/proj`;
const runDir = `${repoRoot}/.git/build-pipeline/runs/20261203-120000-deadbeef`;
const scrub = makeScrubber(['tok-1234567890', 'short'], { runDir, repoRoot, home });

describe('scrubbing agent text the engine commits', () => {
  it('drops worktree prefixes, names the run dir, the repository and the home folder, and redacts secrets', () => {
    assert.equal(scrub(`failed at ${runDir}/worktrees/mod-a/src/mod-a/index.js:3`), 'failed at src/mod-a/index.js:3');
    assert.equal(scrub(`see ${runDir}/qc/mod-a-build-qc.md`), 'see <run dir>/qc/mod-a-build-qc.md');
    assert.equal(scrub(`the user's ${repoRoot}/README.md`), "the user's <repo>/README.md");
    assert.equal(scrub(`cache in ${home}/.npm and "${home}"`), 'cache in ~/.npm and "~"');
    assert.equal(scrub(`${home}x/other stays`), `${home}x/other stays`, 'only the home folder itself, not a longer name');
    assert.equal(scrub(`PATH=${home}/bin:${home}:/usr/bin, in ${home}.`), 'PATH=~/bin:~:/usr/bin, in ~.');
    assert.equal(scrub(`{"a":"${home}\\n","b":"\\"${repoRoot}\\""}`), '{"a":"~\\n","b":"\\"<repo>\\""}', 'raw JSON text: a backslash ends a path');
    assert.equal(scrub(`${repoRoot}ects/x`), '~/projects/x', 'a longer folder beside the repository is not the repository');
    assert.equal(scrub(`cd ${runDir}/worktrees/mod-a && npm test`), 'cd . && npm test');
    assert.equal(scrub('token tok-1234567890 and short'), 'token [redacted] and short', 'values under 8 characters are not secrets to redact');
    assert.equal(scrub('sk-ant-abcdefghijk leaked'), '[redacted] leaked');
    assert.deepEqual(scrubJson({ a: [`${repoRoot}/x`], n: 3, k: { [`${home}`]: 'tok-1234567890' } }, scrub), { a: ['<repo>/x'], n: 3, k: { [home]: '[redacted]' } });
  });

  it('the memory store writes summaries and archive records scrubbed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-scrub-mem-'));
    try {
      const store = new FileMemoryStore(root, scrub);
      await store.addSummary({ id: 's1', role: 'mod-a-builder', agentId: 'builder-mod-a-0', runId: 'r', at: 't', summary: `built in ${runDir}/worktrees/mod-a/src with tok-1234567890`, decisions: [`kept ${home}/notes`], openQuestions: [] });
      await store.archive({ id: 'a1', kind: 'superseded-decision', at: 't', source: `locks.json decision 001 (${repoRoot})`, text: 'old tok-1234567890' });
      await store.flush();
      const written = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8')).join('\n');
      assert.ok(!written.includes('tok-1234567890') && !written.includes(home), written);
      assert.match(written, /built in src with \[redacted\]/);
      assert.match(written, /kept ~\/notes/);
      assert.equal((await store.recentSummaries('mod-a-builder', 1))[0]!.summary, 'built in src with [redacted]');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("rewrites an agent's files in place, and leaves a symlink or a missing file alone", () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-scrub-files-')));
    try {
      fs.mkdirSync(path.join(root, 'b'));
      fs.writeFileSync(path.join(root, 'b', 'brain.md'), `ran ${runDir}/worktrees/mod-a/test.js\n`);
      fs.writeFileSync(path.join(root, 'b', 'pairs.jsonl'), '{"q":"clean"}\n');
      fs.writeFileSync(path.join(root, 'outside.txt'), `${home}\n`);
      fs.symlinkSync(path.join(root, 'outside.txt'), path.join(root, 'b', 'link.md'));
      assert.deepEqual(scrubAgentFiles(root, ['b/brain.md', 'b/pairs.jsonl', 'b/link.md', 'b/none.md'], scrub), ['b/brain.md']);
      assert.equal(fs.readFileSync(path.join(root, 'b', 'brain.md'), 'utf8'), 'ran test.js\n');
      assert.equal(fs.readFileSync(path.join(root, 'outside.txt'), 'utf8'), `${home}\n`, 'a symlink is not followed');
      // Larger than a plain agent-file read takes (4 MiB): rewritten whole, its end kept.
      const big = `${'x'.repeat(5 * 1024 * 1024)}\nend at ${home}/notes\n`;
      fs.writeFileSync(path.join(root, 'b', 'big.jsonl'), big);
      assert.deepEqual(scrubAgentFiles(root, ['b/big.jsonl'], scrub), ['b/big.jsonl']);
      // A whole folder (bootstrap's and curate's commits): its regular files; a folder that is a link is not entered.
      fs.writeFileSync(path.join(root, 'b', 'brain.md'), `again ${home}\n`);
      assert.deepEqual(scrubAgentFolder(root, 'b', scrub), ['b/brain.md']);
      fs.symlinkSync(path.join(root, 'b'), path.join(root, 'via-link'));
      fs.writeFileSync(path.join(root, 'b', 'brain.md'), `again ${home}\n`);
      assert.deepEqual(scrubAgentFolder(root, 'via-link', scrub), []);
      assert.equal(fs.readFileSync(path.join(root, 'b', 'big.jsonl'), 'utf8'), `${'x'.repeat(5 * 1024 * 1024)}\nend at ~/notes\n`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
