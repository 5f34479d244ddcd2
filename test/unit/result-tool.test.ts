import * as assert from 'node:assert/strict';
import { z } from 'zod';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { resultTool, type ResultSlot } from '../../src/core/agents/tools';

describe('resultTool: the tool an agent hands its result to', () => {
  const Schema = z.object({ verdict: z.enum(['yes', 'no']), reason: z.string() });
  const setup = () => {
    const journal: [string, string, boolean?][] = [];
    const observe = { call: (tool: string, input: unknown) => journal.push([tool, JSON.stringify(input)]), result: (tool: string, isError: boolean, text: string) => journal.push([tool, text, isError]) };
    const slot: ResultSlot<z.infer<typeof Schema>> = {};
    const tool = resultTool(
      {
        name: 'submit_answer',
        description: 'Submit once.',
        inputSchema: Schema,
        slot,
        check: (a) => {
          if (a.verdict === 'no' && a.reason === '') throw new ToolError('submit_answer: a "no" needs a reason; resubmit');
        },
        recorded: (a) => `recorded: ${a.verdict}`,
      },
      observe,
    );
    const call = async (input: unknown) => tool.run(tool.parse ? tool.parse(input) : input, undefined as never);
    return { journal, slot, tool, call };
  };

  it('records a valid input in the slot, answers with the recorded text and journals call and result', async () => {
    const { journal, slot, call } = setup();
    assert.equal(await call({ verdict: 'yes', reason: 'fine' }), 'recorded: yes');
    assert.deepEqual(slot.value, { verdict: 'yes', reason: 'fine' });
    assert.deepEqual(journal, [['submit_answer', '{"verdict":"yes","reason":"fine"}'], ['submit_answer', 'recorded: yes', false]]);
  });

  it('an input the engine refuses leaves the slot empty; the refusal is journaled with the text the model reads', async () => {
    const { journal, slot, call } = setup();
    await assert.rejects(call({ verdict: 'no', reason: '' }), /needs a reason/);
    assert.equal(slot.value, undefined);
    assert.deepEqual(journal.at(-1), ['submit_answer', 'submit_answer: a "no" needs a reason; resubmit', true]);
  });

  it('an input the schema rejects is journaled as invalid and never reaches the slot', async () => {
    const { journal, slot, call } = setup();
    await assert.rejects(call({ verdict: 'maybe', reason: 'x' }));
    assert.equal(slot.value, undefined);
    assert.equal(journal.at(-1)![2], true);
    assert.match(journal.at(-1)![1], /^invalid input/);
  });
});
