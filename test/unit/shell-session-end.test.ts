import * as assert from 'node:assert/strict';
import { commandEnded } from '../../src/core/sandbox/shellSession';

describe('a sandboxed shell command’s end in its output', () => {
  const sentinel = '__BP_CMD_1234_DONE__';

  it('waits for the exit status and its newline, however the output was cut into chunks', () => {
    const whole = `✔ 6 tests passed\n${sentinel}0\n`;
    const endsAt = whole.length;
    for (let cut = 0; cut < endsAt; cut++) assert.equal(commandEnded(whole.slice(0, cut), sentinel), false, `cut after ${JSON.stringify(whole.slice(0, cut).slice(-12))}`);
    assert.equal(commandEnded(whole, sentinel), true);
  });

  it('reads statuses of any length, and a negative one', () => {
    assert.equal(commandEnded(`out\n${sentinel}127\n`, sentinel), true);
    assert.equal(commandEnded(`out\n${sentinel}12`, sentinel), false);
    assert.equal(commandEnded(`${sentinel}-1\n`, sentinel), true);
  });
});
