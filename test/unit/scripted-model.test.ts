/**
 * The scripted model's pieces without a server: project plans and the code they generate (run for
 * real under node --test), the QC's reading of evidence, task cards, minimal edits, test output
 * parsing and the prompt cache's TTL.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModulesManifestSchema } from '../../src/core/contracts/schemas';
import { expectedValues } from '../../src/scripted/projects/combiner-math';
import { contractSet } from '../../src/scripted/projects/contracts';
import { interfaceDoc } from '../../src/scripted/projects/interfaces';
import { planFromManifest } from '../../src/scripted/projects/manifest';
import { CORRECT, moduleSource, moduleTests } from '../../src/scripted/projects/module-code';
import { detectProject, diamondLayers, samplePlan, syntheticDescription, syntheticPlan, type ProjectPlan } from '../../src/scripted/projects/plan';
import { scaffoldFiles } from '../../src/scripted/projects/scaffold-files';
import { PromptCache } from '../../src/scripted/prompt-cache';
import { minimalEdit } from '../../src/scripted/roles/minimal-edit';
import { contractErrors, contractFunctions, reviewModule, type QcEvidence } from '../../src/scripted/roles/qc-review';
import { showsTests, testCounts, testSummary, testTitles } from '../../src/scripted/roles/test-output';
import { sourceFileOf, testFileOf } from '../../src/scripted/projects/stack';
import { parseTaskCard } from '../../src/scripted/task-card';
import type { MessagesRequest } from '../../src/scripted/api-types';

function writeProject(plan: ProjectPlan): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-scripted-unit-'));
  const files = scaffoldFiles(plan);
  for (const m of plan.modules) {
    files.set(sourceFileOf(plan.stack, m), moduleSource(m, CORRECT));
    files.set(testFileOf(plan.stack, m), moduleTests(m, plan, CORRECT));
  }
  for (const [rel, content] of files) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

describe('scripted model: projects and generated code', function () {
  this.timeout(15_000);

  it('detects synthetic projects from a description or a project name, else the sample', () => {
    assert.equal(detectProject(syntheticDescription(8, 'diamond')).name, 'synthetic-8-diamond');
    assert.equal(detectProject('synthetic project: 12 modules, wide').modules.length, 12);
    assert.equal(detectProject('synthetic-5-chain').shape, 'chain');
    assert.equal(detectProject('Build me a todo app').name, 'greeter-cli');
    assert.equal(detectProject('anything', { kind: 'synthetic', modules: 3, shape: 'wide' }).name, 'synthetic-3-wide');
  });

  it('plays the Python sample when the description mentions Python: its code passes its own unittest suite, and a stub fails loudly', () => {
    const plan = detectProject('A small Python tool that counts words');
    assert.equal(plan.name, 'wordstats');
    assert.deepEqual(plan.modules.map((m) => m.path), ['wordstats/tokenizer', 'wordstats/counter']);
    assert.ok(ModulesManifestSchema.safeParse(JSON.parse(contractSet(plan).files.get('modules.json')!)).success);
    const root = writeProject(plan);
    try {
      const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'wordstats', '-t', '.'], { cwd: root, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(testCounts(run.stderr), { tests: 9, pass: 9, fail: 0, skipped: 0 });
      fs.writeFileSync(path.join(root, 'wordstats/tokenizer/__init__.py'), moduleSource({ ...plan.modules[0]!, kind: 'tokenizer' }, { validation: false, secret: false }));
      const red = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'wordstats/tokenizer', '-t', '.'], { cwd: root, encoding: 'utf8' });
      assert.notEqual(red.status, 0, 'the complete tests catch code without the documented validation');
      assert.match(testSummary(red.stderr), /3 passed, 1 failed/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('lays a diamond out as root, layers about sqrt(n) wide, sink', () => {
    assert.deepEqual(diamondLayers(8), [[1], [2, 3, 4], [5, 6, 7], [8]]);
    assert.deepEqual(diamondLayers(4), [[1], [2, 3], [4]]);
    assert.deepEqual(diamondLayers(2), [[1], [2]]);
    const plan = syntheticPlan(50, 'diamond');
    assert.equal(plan.modules.at(-1)!.dependsOn.length > 0, true);
    assert.ok(plan.modules.every((m, i) => m.dependsOn.every((d) => plan.modules.findIndex((x) => x.name === d) < i)), 'topological');
  });

  it('mixes tiers for wide graphs and keeps the manifest schema-valid', () => {
    const plan = syntheticPlan(7, 'wide');
    assert.deepEqual(plan.modules.map((m) => m.builderModel), ['opus', 'sonnet', 'haiku', 'sonnet', 'sonnet', 'haiku', 'sonnet']);
    const manifest = JSON.parse(contractSet(plan).files.get('modules.json')!) as unknown;
    ModulesManifestSchema.parse(manifest);
    const back = planFromManifest(JSON.stringify(manifest))!;
    assert.deepEqual(back.modules.map((m) => [m.name, m.dependsOn, m.salt, m.kind]), plan.modules.map((m) => [m.name, m.dependsOn, m.salt, m.kind]));
  });

  for (const plan of [samplePlan(), syntheticPlan(8, 'diamond'), syntheticPlan(5, 'wide'), syntheticPlan(4, 'chain')]) {
    it(`generated code for ${plan.name} passes node --test with every integration check running`, () => {
      const root = writeProject(plan);
      try {
        const r = spawnSync(process.execPath, ['--test'], { cwd: root, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const counts = testCounts(r.stdout);
        assert.equal(counts.skipped, 0);
        assert.ok((counts.pass ?? 0) >= plan.modules.length * 3);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it('computes the synthetic values the way the generated code does', () => {
    const values = expectedValues(syntheticPlan(3, 'chain'));
    assert.deepEqual([...values.values()], [1000, 3000, 6000]);
  });
});

describe('scripted model: QC evidence', () => {
  const greeter = samplePlan().modules[1]!;
  const doc = interfaceDoc(greeter, samplePlan());
  const base: QcEvidence = {
    interfacePath: '.orchestration/contracts/interfaces/greeter.interface.md',
    sourcePath: 'src/greeter/index.js',
    testPath: 'src/greeter/index.test.js',
    moduleDir: 'src/greeter',
    interfaceDoc: { ok: true, text: doc },
    source: { ok: true, text: moduleSource(greeter, CORRECT) },
    tests: { ok: true, text: moduleTests(greeter, samplePlan(), CORRECT) },
    testRun: { ok: true, output: 'ℹ tests 6\nℹ pass 6\nℹ fail 0', command: 'node --test src/greeter/*.test.js' },
    secretGrep: { ok: true, text: 'no matches' },
    outOfScope: [],
    fallback: greeter,
  };

  it('reads the API and the documented errors back from the interface', () => {
    assert.deepEqual(contractFunctions(doc), ['greet']);
    assert.deepEqual(contractErrors(doc).map((e) => e.message), ['name must be a non-empty string', 'name must be at most 100 characters', 'name must not contain control characters']);
  });

  it('reads unittest output: counts, failures and a run that found no tests', () => {
    assert.deepEqual(testCounts('....\n----------------------------------------------------------------------\nRan 4 tests in 0.001s\n\nOK\n'), { tests: 4, pass: 4, fail: 0, skipped: 0 });
    assert.deepEqual(testCounts('Ran 5 tests in 0.002s\n\nFAILED (failures=1, errors=1, skipped=1)\n'), { tests: 5, pass: 2, fail: 2, skipped: 1 });
    assert.equal(testSummary('Ran 3 tests in 0.1s\n\nOK (skipped=1)\n'), '2 passed, 0 failed, 1 skipped');
    assert.equal(testCounts('\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n').tests, 0);
  });

  it('passes correct code and flags each kind of evidence', () => {
    assert.equal(reviewModule(base).verdict, 'PASS');
    const unvalidated = reviewModule({ ...base, source: { ok: true, text: moduleSource(greeter, { validation: false, secret: false }) } });
    assert.equal(unvalidated.verdict, 'FAIL-MAJOR');
    assert.equal(unvalidated.findings.length, 3);
    const failing = reviewModule({ ...base, testRun: { ok: false, output: 'not ok 1 - x\n  at (/w/src/greeter/index.test.js:12:3)', command: 'c' } });
    // Red tests are the builder's to fix: a fix cycle (MAJOR), never a halt of the whole run.
    assert.equal(failing.verdict, 'FAIL-MAJOR');
    assert.equal(failing.findings[0]!.line, 12);
    const secret = reviewModule({ ...base, secretGrep: { ok: true, text: '/tmp/w/src/greeter/index.js:9:const API_TOKEN = "sk-live-abc123456789";' } });
    assert.deepEqual([secret.verdict, secret.findings[0]!.file, secret.findings[0]!.line], ['FAIL-CRITICAL', 'src/greeter/index.js', 9]);
    const stub = reviewModule({ ...base, source: { ok: true, text: "throw new Error('not implemented: greeter');" } });
    assert.equal(stub.verdict, 'FAIL-MAJOR');
    const scoped = reviewModule({ ...base, outOfScope: ['src/registry.js'] });
    assert.equal(scoped.verdict, 'PASS');
    assert.equal(scoped.findings[0]!.file, 'src/registry.js');
  });
});

describe('scripted model: small parts', () => {
  it('parses a task card, ignoring placeholders and keeping extra fields', () => {
    const card = parseTaskCard('<task-card>\nrole: builder\nproject: greeter-cli\nmodule: greeter\nfix_cycle: 2\ntest_command: none\nattempt: 3\n</task-card>\nrest');
    assert.equal(card.role, 'builder');
    assert.equal(card.moduleDir, 'src/greeter');
    assert.equal(card.fixCycle, 2);
    assert.equal(card.testCommand, undefined);
    assert.equal(card.fields['attempt'], '3');
    assert.equal(parseTaskCard('no card').role, 'unknown');
  });

  it('makes the smallest unique whole-line edit', () => {
    const before = 'a\nb\nx\nb\nc\n';
    const edit = minimalEdit(before, 'a\nb\nx\nB\nc\n')!;
    assert.equal(before.split(edit.old_string).length, 2);
    assert.equal(before.replace(edit.old_string, edit.new_string), 'a\nb\nx\nB\nc\n');
    const insert = minimalEdit('one\ntwo\n', 'one\nnew\ntwo\n')!;
    assert.equal('one\ntwo\n'.replace(insert.old_string, insert.new_string), 'one\nnew\ntwo\n');
    assert.equal(minimalEdit('same', 'same'), undefined);
  });

  it('reads node --test output in both reporters and finds test titles', () => {
    assert.deepEqual(testCounts('ℹ tests 3\nℹ pass 2\nℹ fail 1\nℹ skipped 0'), { tests: 3, pass: 2, fail: 1, skipped: 0 });
    assert.deepEqual(testCounts('# tests 1\n# pass 1\n# fail 0'), { tests: 1, pass: 1, fail: 0, skipped: undefined });
    const titles = testTitles("test('it\\'s fine', () => {});\ntest('two', (t) => {});");
    assert.deepEqual(titles, ["it's fine", 'two']);
    assert.ok(showsTests('✔ two (1ms)', titles));
    assert.ok(!showsTests('✔ src/x (20ms)', titles));
  });

  it('expires cache entries after the TTL and refreshes them on a hit', () => {
    let now = 0;
    const cache = new PromptCache(10, 1000, () => now);
    const req: MessagesRequest = {
      model: 'm',
      max_tokens: 10,
      stream: false,
      system: [{ type: 'text', text: 'x'.repeat(400), cache_control: { type: 'ephemeral' } }],
      tools: [],
      messages: [{ role: 'user', content: 'hi' }],
    };
    assert.ok(cache.account(req).cacheWriteTokens > 0);
    now = 900;
    assert.ok(cache.account(req).cacheReadTokens > 0);
    now = 1800;
    assert.ok(cache.account(req).cacheReadTokens > 0, 'the hit at 900 refreshed the entry');
    now = 4000;
    const expired = cache.account(req);
    assert.equal(expired.cacheReadTokens, 0);
    assert.ok(expired.cacheWriteTokens > 0);
  });
});
