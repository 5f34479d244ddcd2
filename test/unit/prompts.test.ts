import * as assert from 'node:assert/strict';
import { loadTemplate, parseTemplate, PromptError, renderPrompt, renderText } from '../../src/core/prompts';

describe('prompt rendering', () => {
  const t = parseTemplate('demo', '<!-- section: system -->\nYou are {{role}}.\n<!-- section: task -->\nDo {{thing}} for {{role}}.\n');

  it('fills every placeholder in both sections', () => {
    const r = renderPrompt(t, { role: 'builder', thing: 'greeter' });
    assert.equal(r.system, 'You are builder.\n');
    assert.equal(r.task, 'Do greeter for builder.\n');
  });

  it('refuses a missing value instead of rendering an empty string', () => {
    assert.throws(() => renderPrompt(t, { role: 'builder' }), (e) => PromptError.is(e, 'missingPlaceholder') && /\{\{thing\}\}/.test(e.message));
    assert.throws(() => renderText('a {{x}}', { x: undefined }, 'here'), (e) => PromptError.is(e, 'missingPlaceholder'));
  });

  it('refuses a value for a placeholder the template does not have', () => {
    assert.throws(() => renderPrompt(t, { role: 'a', thing: 'b', typo: 'c' }), (e) => PromptError.is(e, 'unknownPlaceholder') && /typo/.test(e.message));
  });

  it('keeps an explicitly empty value (a deliberate empty section)', () => {
    assert.equal(renderText('a{{x}}b', { x: '' }, 'here'), 'ab');
  });

  it('does not re-expand placeholders that appear inside values (model text stays inert)', () => {
    const r = renderPrompt(t, { role: '{{thing}}', thing: 'x' });
    assert.equal(r.system, 'You are {{thing}}.\n');
  });

  it('rejects a template without both sections', () => {
    assert.throws(() => parseTemplate('bad', 'no sections here'), (e) => PromptError.is(e, 'badTemplate'));
  });

  it('renders an optional slice section between system and task (a system block of its own)', () => {
    const sliced = parseTemplate('demo', '<!-- section: system -->\nShared {{a}}.\n<!-- section: slice -->\nMine: {{b}}.\n<!-- section: task -->\nGo.\n');
    assert.deepEqual(renderPrompt(sliced, { a: 'x', b: 'y' }), { system: 'Shared x.\n', slice: 'Mine: y.\n', task: 'Go.\n' });
    assert.equal(renderPrompt(t, { role: 'r', thing: 't' }).slice, undefined);
    assert.throws(() => renderPrompt(sliced, { a: 'x' }), (e) => PromptError.is(e, 'missingPlaceholder') && /\(slice\)/.test(e.message));
  });

  it('rejects sections out of order, repeated, or an empty slice (an empty system block is invalid)', () => {
    for (const bad of [
      '<!-- section: slice -->\ns\n<!-- section: system -->\na\n<!-- section: task -->\nb\n',
      '<!-- section: system -->\na\n<!-- section: task -->\nb\n<!-- section: slice -->\ns\n',
      '<!-- section: system -->\na\n<!-- section: system -->\na\n<!-- section: task -->\nb\n',
      '<!-- section: system -->\na\n<!-- section: slice -->\n\n<!-- section: task -->\nb\n',
    ]) {
      assert.throws(() => parseTemplate('bad', bad), (e) => PromptError.is(e, 'badTemplate'), bad);
    }
  });

  it('puts the shared contracts in the system section and the agent\'s part in the slice section', () => {
    for (const role of ['builder', 'qc', 'scaffold', 'master']) {
      const tpl = loadTemplate(role);
      assert.match(tpl.system, /\{\{contracts_shared\}\}\n$/, role);
      assert.equal(tpl.slice, '{{contracts_slice}}\n', role);
    }
    const shipper = loadTemplate('shipper');
    assert.match(shipper.system, /\{\{contracts_shared\}\}\n$/);
    assert.equal(shipper.slice, undefined);
  });

  for (const role of ['architect', 'scaffold', 'builder', 'qc', 'master', 'training', 'audit-planner', 'audit-worker', 'audit-coordinator', 'shipper']) {
    it(`ships prompts/${role}.md with a task card and the tools placeholder`, () => {
      const tpl = loadTemplate(role);
      assert.match(tpl.task, /<task-card>\nrole: /);
      assert.match(tpl.system, /\{\{tools\}\}/);
    });
  }
});
