import * as assert from 'node:assert/strict';
import { exitStatusAfter } from '../../src/core/sandbox/shellSession';

describe('a sandboxed shell command’s end in its output', () => {
  const sentinel = '__BP_CMD_1234_DONE__';

  it('waits for the exit status and its newline, however the output was cut into chunks', () => {
    const whole = `✔ 6 tests passed\n${sentinel}0\n`;
    const endsAt = whole.length;
    for (let cut = 0; cut < endsAt; cut++) assert.equal(exitStatusAfter(whole.slice(0, cut), sentinel), undefined, `cut after ${JSON.stringify(whole.slice(0, cut).slice(-12))}`);
    assert.equal(exitStatusAfter(whole, sentinel), 0);
  });

  it('reads statuses of any length, and a negative one', () => {
    assert.equal(exitStatusAfter(`out\n${sentinel}127\n`, sentinel), 127);
    assert.equal(exitStatusAfter(`out\n${sentinel}12`, sentinel), undefined);
    assert.equal(exitStatusAfter(`${sentinel}-1\n`, sentinel), -1);
  });
});
