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

  for (const role of ['architect', 'scaffold', 'builder', 'qc', 'master', 'training', 'audit-planner', 'audit-worker', 'audit-coordinator', 'shipper']) {
    it(`ships prompts/${role}.md with a task card and the tools placeholder`, () => {
      const tpl = loadTemplate(role);
      assert.match(tpl.task, /<task-card>\nrole: /);
      assert.match(tpl.system, /\{\{tools\}\}/);
    });
  }
});
