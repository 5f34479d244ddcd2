/**
 * The second sample stack (Python, standard library only, unittest): the source and tests the
 * scripted builders write for `tokenizer` and `counter`, the scaffold's stubs and skeleton. The tests
 * really run under `python3 -m unittest`; the counter uses the real tokenizer, which its worktree
 * holds because dependencies are merged into a module's branch before it is built.
 */
import type { CodeVariant } from './module-code';
import type { ModulePlan, ProjectPlan } from './plan';
import { sourceFileOf, testFileOf } from './stack';

const SECRET = 'API_TOKEN = "sk-live-4f9a8b7c6d5e4f3a2b1c"';

function secretLines(v: CodeVariant): string[] {
  return v.secret ? ['', '# Temporary: token for the usage dashboard.', SECRET] : [];
}

function contractNote(name: string): string {
  return `Contract: .orchestration/contracts/interfaces/${name}.interface.md`;
}

export function tokenizerSource(v: CodeVariant): string {
  return [
    `"""tokenizer: splits a text into lowercase words.`,
    '',
    contractNote('tokenizer'),
    '"""',
    'import re',
    ...secretLines(v),
    '',
    "_WORD = re.compile(r\"[a-z0-9]+(?:'[a-z0-9]+)*\")",
    '',
    '',
    'def tokenize(text):',
    '    """Return the words of `text`, lowercased, in order."""',
    ...(v.validation ? ['    if not isinstance(text, str):', '        raise TypeError("text must be a str")'] : []),
    '    return _WORD.findall(text.lower())',
    '',
  ].join('\n');
}

export function tokenizerTests(v: CodeVariant): string {
  return [
    'import unittest',
    '',
    'from wordstats.tokenizer import tokenize',
    '',
    '',
    'class TokenizeTest(unittest.TestCase):',
    '    def test_lowercases_and_splits_on_punctuation(self):',
    '        self.assertEqual(tokenize("Hello, hello World!"), ["hello", "hello", "world"])',
    '',
    '    def test_keeps_inner_apostrophes(self):',
    `        self.assertEqual(tokenize("Don't stop"), ["don't", "stop"])`,
    '',
    '    def test_empty_text_has_no_words(self):',
    '        self.assertEqual(tokenize(""), [])',
    ...(v.validation
      ? [
          '',
          '    def test_rejects_anything_but_str(self):',
          '        with self.assertRaises(TypeError) as caught:',
          '            tokenize(42)',
          '        self.assertEqual(str(caught.exception), "text must be a str")',
        ]
      : []),
    '',
    '',
    'if __name__ == "__main__":',
    '    unittest.main()',
    '',
  ].join('\n');
}

export function counterSource(v: CodeVariant): string {
  return [
    `"""counter: counts the words of a text and ranks them.`,
    '',
    contractNote('counter'),
    '"""',
    'from wordstats import tokenizer',
    ...secretLines(v),
    '',
    '',
    'def count_words(text, top=None):',
    '    """Return (word, count) pairs, most frequent first, ties alphabetically; at most `top` of them."""',
    ...(v.validation
      ? ['    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):', '        raise ValueError("top must be a positive integer")']
      : []),
    '    counts = {}',
    '    for word in tokenizer.tokenize(text):',
    '        counts[word] = counts.get(word, 0) + 1',
    '    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))',
    '    return ranked if top is None else ranked[:top]',
    '',
  ].join('\n');
}

export function counterTests(v: CodeVariant): string {
  return [
    'import unittest',
    '',
    'from wordstats.counter import count_words',
    '',
    '',
    'class CountWordsTest(unittest.TestCase):',
    '    def test_ranks_by_count_then_alphabetically(self):',
    '        self.assertEqual(count_words("b a b c a b"), [("b", 3), ("a", 2), ("c", 1)])',
    '',
    '    def test_top_limits_the_result(self):',
    '        self.assertEqual(count_words("x y y z z z", top=2), [("z", 3), ("y", 2)])',
    '',
    '    def test_uses_the_tokenizer(self):',
    '        self.assertEqual(count_words("Hi, HI hi!"), [("hi", 3)])',
    ...(v.validation
      ? [
          '',
          '    def test_rejects_a_top_that_is_not_a_positive_integer(self):',
          '        for bad in (0, -1, 1.5, True):',
          '            with self.assertRaises(ValueError) as caught:',
          '                count_words("a", top=bad)',
          '            self.assertEqual(str(caught.exception), "top must be a positive integer")',
        ]
      : []),
    '',
    '',
    'if __name__ == "__main__":',
    '    unittest.main()',
    '',
  ].join('\n');
}

export function pythonStub(mod: ModulePlan, functions: string[]): string {
  return [
    `"""Scaffold placeholder for \`${mod.name}\`; its builder replaces it with the implementation of`,
    `.orchestration/contracts/interfaces/${mod.name}.interface.md. Until then every call fails loudly."""`,
    '',
    ...functions.flatMap((f) => ['', `def ${f}(*args, **kwargs):`, `    raise NotImplementedError("not implemented: ${mod.name}")`, '']),
  ].join('\n');
}

/** Relative path → content for the Python skeleton: package, shared types, stubs, a smoke test, pyproject, README. */
export function pythonScaffoldFiles(plan: ProjectPlan, stubOf: (mod: ModulePlan) => string): Map<string, string> {
  const files = new Map<string, string>();
  const pkg = plan.sharedPath.split('/')[0]!;
  files.set(
    'pyproject.toml',
    [
      '[project]',
      `name = "${plan.name}"`,
      'version = "0.1.0"',
      `description = "${plan.description.replace(/"/g, "'")}"`,
      'requires-python = ">=3.11"',
      'dependencies = []',
      '',
    ].join('\n'),
  );
  files.set(`${pkg}/__init__.py`, `"""${plan.name}: ${plan.description}"""\n`);
  files.set(`${plan.sharedPath}/__init__.py`, '"""Types shared across module boundaries."""\n');
  files.set(
    `${plan.sharedPath}/types.py`,
    ['"""Types shared across module boundaries (.orchestration/contracts/interfaces/shared-types.md)."""', '', 'Word = str', 'WordCount = tuple[str, int]', ''].join('\n'),
  );
  for (const mod of plan.modules) files.set(sourceFileOf('python', mod), stubOf(mod));
  // One test that always runs, so the integration command is green on the skeleton (Python 3.12+
  // exits 5 when a run finds no tests at all).
  files.set(
    `${pkg}/test_package.py`,
    [
      'import importlib',
      'import unittest',
      '',
      '',
      'class PackageTest(unittest.TestCase):',
      '    def test_every_module_imports(self):',
      `        for name in ${JSON.stringify(plan.modules.map((m) => m.path.replace(/\//g, '.')))}:`,
      '            importlib.import_module(name)',
      '',
    ].join('\n'),
  );
  files.set(
    'README.md',
    [
      `# ${plan.name}`,
      '',
      plan.description,
      '',
      '## Modules',
      ...plan.modules.map((m) => `- \`${m.path}/\`: ${m.description}`),
      '',
      '## Development',
      '- Contracts: `.orchestration/contracts/` (read-only for builders).',
      `- Tests: \`python3 -m unittest discover -s ${pkg} -t .\`; each module keeps its tests beside its code (${plan.modules.map((m) => `\`${testFileOf('python', m)}\``).join(', ')}).`,
      '',
    ].join('\n'),
  );
  return files;
}
