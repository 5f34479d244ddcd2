import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Interface } from 'node:readline/promises';
import { askDecision } from '../../src/cli/gate';
import { shellWord } from '../../src/cli/shellWord';

/** A terminal that answers from a list, and keeps the questions it was asked. */
function terminal(answers: string[]): { rl: Interface; asked: string[] } {
  const asked: string[] = [];
  const rl = {
    question: async (q: string) => {
      asked.push(q);
      const a = answers.shift();
      if (a === undefined) throw new Error(`no answer left for ${q}`);
      return a;
    },
  } as unknown as Interface;
  return { rl, asked };
}

describe('CLI: the gate question and the command lines it prints', () => {
  const signal = new AbortController().signal;

  it('asks again on an empty line or an unknown answer instead of deciding "later"', async () => {
    const { rl, asked } = terminal(['', 'yes', 'L']);
    assert.deepEqual(await askDecision(rl, 'decide? ', ['approve', 'reject', 'later'], signal), { decision: 'later' });
    assert.equal(asked.length, 3);
    assert.deepEqual(await askDecision(terminal(['approve']).rl, 'decide? ', ['approve', 'reject', 'later'], signal), { decision: 'approve' });
  });

  it('asks for the changes until they are said, and offers changes only where the gate takes them', async () => {
    const { rl, asked } = terminal(['c', '  ', 'c', 'rename the flag']);
    assert.deepEqual(await askDecision(rl, 'decide? ', ['approve', 'changes', 'reject', 'later'], signal), { decision: 'changes', feedback: 'rename the flag' });
    assert.deepEqual(asked, ['decide? ', 'What should change? ', 'decide? ', 'What should change? ']);
    // A gate without "changes" (a plan's approval): "c" is not an answer there.
    const plan = terminal(['c', 'r']);
    assert.deepEqual(await askDecision(plan.rl, 'decide? ', ['approve', 'reject', 'later'], signal), { decision: 'reject' });
    assert.equal(plan.asked.length, 2);
  });

  it('prints paths so that a pasted line gets them back exactly, $ and quotes included', () => {
    assert.equal(shellWord('/tmp/build-pipeline-demo-Ab12'), '/tmp/build-pipeline-demo-Ab12');
    for (const p of ['/home/me/my project', '/tmp/a$HOME`id`', "/tmp/it's \\ here", '/tmp/"q"']) {
      const back = execFileSync('bash', ['-c', `printf %s ${shellWord(p)}`], { encoding: 'utf8' });
      assert.equal(back, p);
    }
  });
});
