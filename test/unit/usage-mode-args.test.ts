import * as assert from 'node:assert/strict';
import { addUsage, emptyUsage, fromApiUsage, totalTokens } from '../../src/core/usage';
import { parseArgs, UsageError } from '../../src/cli/args';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { braceExpansionCount, fileTools, isWritable, MAX_GLOB_EXPANSION, ROLE_TOOLS } from '../../src/core/agents/tools';
import { SHIP_WRITABLE } from '../../src/core/stages/ship';
import { agentShellEnv } from '../../src/core/agents/env';
import { redact } from '../../src/core/run/journal';

describe('usage accounting', () => {
  it('maps API usage (with null cache fields) and sums it', () => {
    const a = fromApiUsage({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: null, cache_creation_input_tokens: 100 });
    assert.deepEqual(a, { input: 10, output: 5, cacheRead: 0, cacheWrite: 100, calls: 1 });
    const total = emptyUsage();
    addUsage(total, a);
    addUsage(total, fromApiUsage({ input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 100 }));
    assert.deepEqual(total, { input: 11, output: 7, cacheRead: 100, cacheWrite: 100, calls: 2 });
    assert.equal(totalTokens(total), 218);
  });
});

describe('CLI argument parsing', () => {
  const spec = { cwd: 'value', yes: 'bool' } as const;
  it('parses commands, positionals and flags', () => {
    const a = parseArgs(['start', 'a b', '--cwd', '/x', '--yes'], spec);
    assert.equal(a.command, 'start');
    assert.deepEqual(a.positionals, ['a b']);
    assert.equal(a.flags.get('cwd'), '/x');
    assert.equal(a.flags.get('yes'), true);
    assert.equal(parseArgs(['status', '--cwd=/y'], spec).flags.get('cwd'), '/y');
  });
  it('rejects unknown flags and missing values', () => {
    assert.throws(() => parseArgs(['start', '--nope'], spec), UsageError);
    assert.throws(() => parseArgs(['start', '--cwd'], spec), UsageError);
    assert.throws(() => parseArgs(['start', '--yes=1'], spec), UsageError);
  });
  it('refuses a short option instead of reading it as a word of the description; after -- it is one', () => {
    assert.throws(() => parseArgs(['start', 'add auth', '-y'], spec), (e: Error) => e instanceof UsageError && /unknown option -y: options are written out in full/.test(e.message));
    assert.deepEqual(parseArgs(['start', '--', '-y is a word here'], spec).positionals, ['-y is a word here']);
    // A leading minus that is not an option letter (a number) stays a word.
    assert.deepEqual(parseArgs(['start', 'lower', '-5'], spec).positionals, ['lower', '-5']);
  });
});

describe('builder write policy', () => {
  const w = ['src/greeter/', '.orchestration/brains/greeter-builder.md', '.orchestration/conflicts/greeter-*.md'];
  it('allows the module folder, its brain file and its own conflict reports', () => {
    assert.ok(isWritable('src/greeter/index.js', w));
    assert.ok(isWritable('src/greeter/deep/x.js', w));
    assert.ok(isWritable('.orchestration/brains/greeter-builder.md', w));
    assert.ok(isWritable('.orchestration/conflicts/greeter-needs-async.md', w));
  });
  it('refuses everything else, including look-alikes', () => {
    for (const p of ['src/formatter/index.js', 'src/greeter', 'src/greeterx/a.js', 'package.json', '../outside.txt', '', '.orchestration/contracts/modules.json', '.orchestration/conflicts/formatter-x.md', '.orchestration/conflicts/greeter-x/y.md', '/etc/passwd']) {
      assert.equal(isWritable(p, w), false, p);
    }
  });
  it('the shipping agent: docs by their kind of file at any depth under docs/, never the code a docs build runs', () => {
    for (const p of ['README.md', 'CHANGELOG.md', 'VERSION', 'docs/index.md', 'docs/guide/setup.rst', 'docs/a/b/c/notes.md', 'docs/api.adoc']) assert.ok(isWritable(p, SHIP_WRITABLE), p);
    for (const p of ['docs/conf.py', 'docs/source/conf.py', 'docs/docusaurus.config.js', 'docs/.vitepress/config.mts', 'docs/hooks/x.py', 'docs/requirements.txt', 'docs/CMakeLists.txt', 'docsx/a.md', 'src/docs/a.md', 'docs', 'docs/', 'notes.md']) {
      assert.equal(isWritable(p, SHIP_WRITABLE), false, p);
    }
  });
});

describe('agent environment and journal redaction', () => {
  it('strips credentials from the agent shell environment and sets an agent git identity', () => {
    const env = agentShellEnv('builder-greeter', { PATH: '/bin', ANTHROPIC_API_KEY: 'sk-ant-secret', ANTHROPIC_BASE_URL: 'http://x', GITHUB_TOKEN: 't', MY_SECRET: 's', HOME: '/root' });
    assert.equal(env.PATH, '/bin');
    assert.equal(env.HOME, '/root');
    for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'GITHUB_TOKEN', 'MY_SECRET']) assert.equal(env[k], undefined, k);
    assert.equal(env.GIT_AUTHOR_NAME, 'builder-greeter');
  });
  it('strips the other usual secret names too, and keeps the ordinary variables', () => {
    const secrets = ['MYSQL_PWD', 'DB_PASS', 'SMTP_PASS', 'DATABASE_URL', 'SENTRY_DSN', 'SLACK_WEBHOOK_URL', 'JWT_SIGNING_KEY', 'ENCRYPTION_KEY', 'CI_JOB_JWT', 'DOCKER_AUTH_CONFIG', 'SSH_AUTH_SOCK', 'NPM_AUTH'];
    const ordinary = ['PATH', 'HOME', 'PWD', 'OLDPWD', 'LANG', 'NODE_ENV', 'XAUTHORITY', 'KEYTIMEOUT', 'JAVA_HOME'];
    const env = agentShellEnv('builder-x', Object.fromEntries([...secrets, ...ordinary].map((k) => [k, 'v'])));
    for (const k of secrets) assert.equal(env[k], undefined, k);
    for (const k of ordinary) assert.equal(env[k], 'v', k);
  });
  it("keeps the user's shell start-up files out of agent shells (BASH_ENV, ENV)", () => {
    const env = agentShellEnv('qc-greeter', { PATH: '/bin', BASH_ENV: '/root/.bashrc', ENV: '/root/.shrc' });
    assert.equal(env.BASH_ENV, undefined);
    assert.equal(env.ENV, undefined);
    assert.equal(env.PATH, '/bin');
  });
  it('redacts the known key and key-shaped strings', () => {
    assert.equal(redact('key=my-very-secret-value here', ['my-very-secret-value']), 'key=[redacted] here');
    assert.equal(redact('token sk-ant-api03-abcdefghijkl', []), 'token [redacted]');
  });
});

describe('role tool sets', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-tools-'));
  const observe = { call: () => {}, result: () => {} };
  const names = (role: keyof typeof ROLE_TOOLS) =>
    fileTools(ROLE_TOOLS[role], { workdir: dir, readOnlyRoots: [], env: {}, bashTimeoutMs: 1000 }, observe).map((t) => t.name).sort();

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives QC no way to write and the architect no edit tool, as the seeds say', () => {
    assert.deepEqual(names('qc'), ['bash', 'glob', 'grep', 'read']);
    assert.deepEqual(names('architect'), ['bash', 'glob', 'grep', 'read', 'write']);
    assert.deepEqual(names('builder'), ['bash', 'edit', 'glob', 'grep', 'read', 'write']);
  });

  it('lets the writes of one turn land together in folders that do not exist yet (no ENOENT race)', async () => {
    for (let round = 0; round < 30; round++) {
      const tools = fileTools(ROLE_TOOLS.builder, { workdir: dir, readOnlyRoots: [], env: {}, bashTimeoutMs: 1000 }, observe);
      const write = tools.find((t) => t.name === 'write')!;
      // Like an architect's first turn: files at several depths under folders none of which exist yet.
      const files = Array.from({ length: 24 }, (_, i) => [`r${round}/a.md`, `r${round}/i/${i}.md`, `r${round}/i/d/${i}.md`][i % 3]!);
      await Promise.all(files.map((f) => write.run({ file_path: f, content: f })));
      for (const f of files) assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), f);
    }
  });

  it('refuses a glob whose braces expand to too many patterns (they are expanded at once, on the event loop), and runs an ordinary one', async () => {
    assert.equal(braceExpansionCount('src/**/*.{ts,tsx}'), 2);
    assert.equal(braceExpansionCount('{a,{b,c}}/{x,y}'), 6);
    assert.equal(braceExpansionCount('\\{a,b}'), 1, 'an escaped brace is literal');
    assert.equal(braceExpansionCount('{a,b'), 1, 'an unclosed brace is literal');
    assert.equal(braceExpansionCount('{a,b}'.repeat(15)), 2 ** 15);
    fs.writeFileSync(path.join(dir, 'one.ts'), '');
    const [glob] = fileTools(['glob'], { workdir: dir, readOnlyRoots: [], env: {}, bashTimeoutMs: 1000 }, observe);
    // 2^40 patterns: expanded, this would not end; refused, it ends at once (no timing asserted: the machine is shared).
    await assert.rejects(async () => glob!.run({ pattern: '{a,b}'.repeat(40) }), new RegExp(`expand to more than ${MAX_GLOB_EXPANSION} patterns`));
    assert.match(String(await glob!.run({ pattern: '*.{ts,js}' })), /one\.ts/);
  });

  it('caps a bash timeout the model asks for at the configured limit', async () => {
    const [bash] = fileTools(['bash'], { workdir: dir, readOnlyRoots: [], env: { PATH: process.env.PATH ?? '' }, bashTimeoutMs: 300 }, observe);
    const started = Date.now();
    await assert.rejects(async () => bash!.run({ command: 'sleep 5', timeout_ms: 60_000 }), /timed out after 300ms/);
    assert.ok(Date.now() - started < 4000);
    await bash!.close?.();
  });
});
