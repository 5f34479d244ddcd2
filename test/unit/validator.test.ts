import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CONTRACT_FILE_MAX_BYTES,
  formatProblems,
  MAX_REPORTED_PROBLEMS,
  validateContracts,
  type ContractProblem,
  type ValidationResult,
} from '../../src/core/contracts/validator';

type Json = Record<string, unknown>;

function lock(overrides: Json = {}): Json {
  return {
    locked_by: 'architect',
    lock_level: 'locked',
    affects: ['core'],
    assertion: 'Data lives in SQLite.',
    locked_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

function module(name: string, depends_on: string[] = []): Json {
  return { name, description: `the ${name} module`, depends_on, interface: `interfaces/${name}.interface.md` };
}

function validManifest(): Json {
  return {
    project: 'shop',
    toolchain: { runtime: 'Node.js 22', install: 'npm ci', test: 'node --test {module_dir}/*.test.js', integration_test: 'npm test' },
    modules: [module('core'), module('auth', ['core']), module('api', ['core', 'auth'])],
    build_order: ['core', 'auth', 'api'],
    assembly_order: ['core', 'auth', 'api'],
  };
}

function validLocks(): Json {
  return {
    decisions: {
      '001-database': lock(),
      '002-auth-strategy': lock({ lock_level: 'critical', affects: ['auth', 'api'], assertion: 'Sessions use signed cookies.' }),
    },
    interfaces: { api: lock({ affects: ['api'], assertion: 'REST over HTTP.' }) },
  };
}

/** A temp project with a complete, valid contracts directory that each test then breaks. */
export class Fixture {
  readonly base = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-validator-'));
  readonly dir = path.join(this.base, '.orchestration', 'contracts');

  constructor() {
    this.write('architecture.md', '# Shop\n\nThree modules.\n\n<!-- DONE -->\n');
    this.json('modules.json', validManifest());
    for (const name of ['core', 'auth', 'api']) this.write(`interfaces/${name}.interface.md`, `# ${name}\nexports things\n`);
    this.write('interfaces/shared-types.md', '# Shared types\n');
    this.write('decisions/001-database.md', '# ADR-001: SQLite\n');
    this.write('decisions/002-auth-strategy.md', '# ADR-002: cookies\n');
    this.json('locks.json', validLocks());
  }

  file(rel: string): string {
    return path.join(this.dir, rel);
  }

  write(rel: string, content: string | Buffer): void {
    fs.mkdirSync(path.dirname(this.file(rel)), { recursive: true });
    fs.writeFileSync(this.file(rel), content);
  }

  json(rel: string, value: unknown): void {
    this.write(rel, JSON.stringify(value, null, 2));
  }

  manifest(edit: (m: Json & { modules: Json[] }) => void): void {
    const m = validManifest() as Json & { modules: Json[] };
    edit(m);
    this.json('modules.json', m);
  }

  locks(edit: (l: { decisions: Record<string, Json>; interfaces: Record<string, Json> }) => void): void {
    const l = validLocks() as { decisions: Record<string, Json>; interfaces: Record<string, Json> };
    edit(l);
    this.json('locks.json', l);
  }

  remove(rel: string): void {
    fs.rmSync(this.file(rel), { recursive: true, force: true });
  }

  validate(): Promise<ValidationResult> {
    return validateContracts(this.dir);
  }

  cleanup(): void {
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

export function rules(result: ValidationResult): string[] {
  return result.problems.map((p) => p.rule);
}

/** Asserts exactly one problem of `rule` exists, that it names `mentions`, and returns it. */
export function expectProblem(result: ValidationResult, rule: string, mentions: string | RegExp): ContractProblem {
  const matching = result.problems.filter((p) => p.rule === rule);
  assert.equal(matching.length, 1, `expected one ${rule} problem, got: ${formatProblems(result.problems) || '(none)'}`);
  const problem = matching[0]!;
  if (typeof mentions === 'string') assert.ok(problem.message.includes(mentions), `"${problem.message}" should mention ${mentions}`);
  else assert.match(problem.message, mentions);
  assert.equal(result.ok, false);
  return problem;
}

describe('validateContracts', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(() => fx.cleanup());

  it('accepts a complete, consistent set of contracts', async () => {
    const result = await fx.validate();
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.manifest?.modules.length, 3);
    assert.equal(result.manifest?.modules[0]?.builder_model, 'sonnet', 'schema defaults are applied');
    assert.equal(result.locks?.decisions['002-auth-strategy']?.lock_level, 'critical');
    assert.deepEqual(result.adrs, ['001-database', '002-auth-strategy']);
  });

  it('reports a missing contracts directory without throwing', async () => {
    const result = await validateContracts(path.join(fx.base, 'nope'));
    expectProblem(result, 'contracts.missing', 'nope');
    assert.deepEqual(result.adrs, []);
  });

  describe('architecture.md', () => {
    it('must exist', async () => {
      fx.remove('architecture.md');
      expectProblem(await fx.validate(), 'file.missing', 'architecture.md');
    });

    it('must end with the DONE marker as its last non-empty line', async () => {
      fx.write('architecture.md', '# Shop\n<!-- DONE -->\nmore text after\n');
      expectProblem(await fx.validate(), 'architecture.done-marker', '"more text after"');
    });

    it('refuses a marker that is not exactly the marker', async () => {
      fx.write('architecture.md', '# Shop\n<!-- DONE --> ok\n');
      expectProblem(await fx.validate(), 'architecture.done-marker', 'found "<!-- DONE --> ok"');
    });

    it('refuses an empty file', async () => {
      fx.write('architecture.md', '\n\n');
      expectProblem(await fx.validate(), 'architecture.done-marker', 'the file is empty');
    });

    it('accepts CRLF line endings and trailing blank lines', async () => {
      fx.write('architecture.md', '# Shop\r\n<!-- DONE -->\r\n\r\n');
      assert.deepEqual(rules(await fx.validate()), []);
    });
  });

  describe('modules.json', () => {
    it('must be valid JSON', async () => {
      fx.write('modules.json', '{ "project": ');
      const result = await fx.validate();
      expectProblem(result, 'json.syntax', 'modules.json is not valid JSON');
      assert.equal(result.manifest, undefined);
    });

    it('reports schema issues with their path', async () => {
      fx.manifest((m) => {
        delete m.modules[1]!.description;
        m.modules[2]!.builder_model = 'gpt';
      });
      const result = await fx.validate();
      const issues = result.problems.filter((p) => p.rule === 'modules.schema');
      assert.deepEqual(issues.map((p) => p.item).sort(), ['modules[1].description', 'modules[2].builder_model']);
      assert.equal(result.manifest, undefined);
    });

    it('reports a non-object manifest at the root', async () => {
      fx.write('modules.json', 'null');
      expectProblem(await fx.validate(), 'modules.schema', 'modules.json: (root)');
    });

    const hostileNames = ['../../etc', 'a/b', 'a b', '$(touch pwned)', 'x;rm -rf ~', 'main.lock', 'a..b', 'API', 'a\nb', ''];
    for (const name of hostileNames) {
      it(`refuses the module name ${JSON.stringify(name)} and never uses it as a path`, async () => {
        fx.manifest((m) => {
          m.modules.push(module(name));
          (m.build_order as string[]).push(name);
          (m.assembly_order as string[]).push(name);
        });
        const result = await fx.validate();
        const problem = expectProblem(result, 'module.name', name === '' ? 'module name is empty' : JSON.stringify(name));
        assert.equal(problem.item, /^[A-Za-z0-9._/[\]-]+$/.test(name) ? name : JSON.stringify(name));
        // An unsafe name never becomes an interface path, so no interface problems are raised for it.
        assert.deepEqual(rules(result), ['module.name']);
        assert.ok(!formatProblems(result.problems).includes('\nb'), 'hostile text cannot break a line');
      });
    }

    it('refuses duplicate module names', async () => {
      fx.manifest((m) => m.modules.push(module('core')));
      expectProblem(await fx.validate(), 'module.duplicate', '"core"');
    });

    it('refuses a dependency on a module that does not exist', async () => {
      fx.manifest((m) => (m.modules[2]!.depends_on = ['core', 'ghost']));
      const problem = expectProblem(await fx.validate(), 'module.depends-unknown', 'module "api" depends on "ghost"');
      assert.equal(problem.item, 'ghost');
    });

    it('refuses a module that depends on itself', async () => {
      fx.manifest((m) => (m.modules[0]!.depends_on = ['core']));
      const result = await fx.validate();
      expectProblem(result, 'module.depends-self', '"core" depends on itself');
      assert.ok(!rules(result).includes('graph.cycle'), 'a self-dependency is not also reported as a cycle');
    });

    it('reports a dependency cycle as a -> b -> a', async () => {
      fx.manifest((m) => (m.modules[0]!.depends_on = ['auth']));
      const result = await fx.validate();
      expectProblem(result, 'graph.cycle', 'dependency cycle: core -> auth -> core');
      assert.ok(!rules(result).includes('order.dependency'), 'no order can satisfy a cycle; only the cycle is reported');
    });

    it('reports more than one independent cycle', async () => {
      fx.manifest((m) => {
        m.modules.push(module('x', ['y']), module('y', ['x']));
        (m.build_order as string[]).push('x', 'y');
        (m.assembly_order as string[]).push('x', 'y');
        m.modules[0]!.depends_on = ['auth'];
      });
      const cycles = (await fx.validate()).problems.filter((p) => p.rule === 'graph.cycle').map((p) => p.message);
      assert.deepEqual(cycles, ['dependency cycle: core -> auth -> core', 'dependency cycle: x -> y -> x']);
    });

    for (const field of ['build_order', 'assembly_order'] as const) {
      it(`${field}: reports missing, extra and duplicate entries`, async () => {
        fx.manifest((m) => (m[field] = ['core', 'core', 'auth', 'ghost']));
        const result = await fx.validate();
        expectProblem(result, 'order.missing', `${field} is missing module "api"`);
        expectProblem(result, 'order.extra', `${field} lists "ghost", which is not a module`);
        expectProblem(result, 'order.duplicate', `${field} lists "core" 2 times`);
      });

      it(`${field}: reports a module placed before its dependency`, async () => {
        fx.manifest((m) => (m[field] = ['auth', 'core', 'api']));
        const problem = expectProblem(await fx.validate(), 'order.dependency', `${field} puts "auth" before its dependency "core"`);
        assert.equal(problem.item, 'auth');
      });
    }
  });

  describe('interfaces', () => {
    it('requires the interface field to be interfaces/{name}.interface.md', async () => {
      fx.manifest((m) => (m.modules[0]!.interface = '../../../etc/passwd'));
      expectProblem(await fx.validate(), 'interface.path', 'module "core" has interface "../../../etc/passwd"; it must be "interfaces/core.interface.md"');
    });

    it('requires every module interface file to exist', async () => {
      fx.remove('interfaces/auth.interface.md');
      const problem = expectProblem(await fx.validate(), 'file.missing', 'interfaces/auth.interface.md');
      assert.equal(problem.file, 'interfaces/auth.interface.md');
    });

    it('requires every module interface file to be non-empty', async () => {
      fx.write('interfaces/auth.interface.md', '  \n');
      expectProblem(await fx.validate(), 'interface.empty', 'module "auth"');
    });

    it('requires interfaces/shared-types.md', async () => {
      fx.remove('interfaces/shared-types.md');
      expectProblem(await fx.validate(), 'file.missing', 'interfaces/shared-types.md');
    });

    it('requires interfaces/shared-types.md to be non-empty', async () => {
      fx.write('interfaces/shared-types.md', '');
      expectProblem(await fx.validate(), 'shared-types.empty', 'shared-types.md is empty');
    });
  });

  describe('locks.json', () => {
    it('must be valid JSON', async () => {
      fx.write('locks.json', '{]');
      const result = await fx.validate();
      expectProblem(result, 'json.syntax', 'locks.json is not valid JSON');
      assert.equal(result.locks, undefined);
    });

    it('reports invalid lock levels with their path', async () => {
      fx.locks((l) => (l.decisions['001-database']!.lock_level = 'super-locked'));
      const problem = expectProblem(await fx.validate(), 'locks.schema', 'decisions.001-database.lock_level');
      assert.equal(problem.item, 'decisions.001-database.lock_level');
    });

    it('requires locks whose key mentions security words to be critical', async () => {
      fx.write('decisions/003-crypto-library.md', '# ADR-003\n');
      fx.locks((l) => (l.decisions['003-crypto-library'] = lock({ assertion: 'Use libsodium.' })));
      expectProblem(await fx.validate(), 'locks.security-level', 'its key contains "crypto"');
    });

    it('requires locks with category security to be critical', async () => {
      fx.locks((l) => (l.decisions['001-database'] = lock({ category: 'security' })));
      expectProblem(await fx.validate(), 'locks.security-level', 'its category is "security"');
    });

    it('requires locks whose assertion is about security to be critical', async () => {
      fx.locks((l) => (l.interfaces.api = lock({ affects: ['api'], assertion: 'Passwords are hashed with argon2id.' })));
      const problem = expectProblem(await fx.validate(), 'locks.security-level', 'its assertion mentions "Passwords"');
      assert.equal(problem.item, 'api');
    });

    it('does not mistake "author" in an assertion for a security decision', async () => {
      fx.locks((l) => (l.decisions['001-database'] = lock({ assertion: 'Posts store their author id.' })));
      assert.deepEqual(rules(await fx.validate()), []);
    });

    it('requires every affected entry to name a module', async () => {
      fx.locks((l) => (l.decisions['001-database']!.affects = ['core', '../x']));
      const problem = expectProblem(await fx.validate(), 'locks.affects-unknown', 'affects "../x", which is not a module');
      assert.equal(problem.item, '../x');
    });

    it('requires every locked decision to have an ADR of the same name', async () => {
      fx.locks((l) => (l.decisions['009-caching'] = lock()));
      expectProblem(await fx.validate(), 'locks.decision-without-adr', '"009-caching"');
    });

    it('requires interface locks to name a module or shared-types', async () => {
      fx.locks((l) => {
        l.interfaces['shared-types'] = lock({ affects: [] });
        l.interfaces['interfaces/core.interface.md'] = lock({ affects: [] });
        l.interfaces.billing = lock({ affects: [] });
      });
      expectProblem(await fx.validate(), 'locks.interface-unknown', '"billing"');
    });
  });

  describe('decisions/', () => {
    for (const bad of ['1-db.md', '001_db.md', '001-DB.md', '001-db.txt', 'notes.md', '001-.md', '001-a--b.md', '0001-db.md']) {
      it(`refuses the ADR file name ${bad}`, async () => {
        fx.write(`decisions/${bad}`, '# ADR\n');
        const problem = expectProblem(await fx.validate(), 'adr.name', JSON.stringify(bad));
        assert.equal(problem.file, `decisions/${bad}`);
      });
    }

    it('refuses two ADRs with the same number', async () => {
      fx.write('decisions/001-other.md', '# ADR-001 again\n');
      expectProblem(await fx.validate(), 'adr.duplicate-number', 'ADR number 001 is used by both 001-database.md and 001-other.md');
    });

    it('refuses an empty ADR', async () => {
      fx.write('decisions/003-empty.md', '\n');
      expectProblem(await fx.validate(), 'adr.empty', '003-empty.md');
    });

    it('requires at least one ADR', async () => {
      fx.remove('decisions');
      fx.write('decisions/.keep', '');
      fx.locks((l) => (l.decisions = {}));
      const result = await fx.validate();
      expectProblem(result, 'adr.none', 'at least one');
      assert.deepEqual(result.adrs, []);
    });

    it('reports a missing decisions directory', async () => {
      fx.remove('decisions');
      fx.locks((l) => (l.decisions = {}));
      expectProblem(await fx.validate(), 'file.missing', 'decisions/ is missing');
    });
  });

  describe('hostile files', () => {
    it(`refuses a file larger than ${CONTRACT_FILE_MAX_BYTES} bytes`, async () => {
      fx.write('architecture.md', `${'x'.repeat(CONTRACT_FILE_MAX_BYTES)}\n<!-- DONE -->\n`);
      expectProblem(await fx.validate(), 'file.too-large', 'architecture.md is larger than');
    });

    it('refuses binary junk', async () => {
      fx.write('modules.json', Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x01, 0x02]));
      expectProblem(await fx.validate(), 'file.binary', 'modules.json contains NUL bytes');
    });

    it('refuses text that is not UTF-8', async () => {
      fx.write('locks.json', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
      expectProblem(await fx.validate(), 'file.binary', 'locks.json is not valid UTF-8');
    });

    it('refuses a symlink that points outside the contracts directory', async () => {
      const outside = path.join(fx.base, 'secret.md');
      fs.writeFileSync(outside, '# not a contract\n<!-- DONE -->\n');
      fx.remove('architecture.md');
      fs.symlinkSync(outside, fx.file('architecture.md'));
      expectProblem(await fx.validate(), 'file.outside', 'architecture.md resolves outside the contracts directory');
    });

    it('refuses interface files reached through a symlinked directory outside', async () => {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-outside-'));
      try {
        fs.cpSync(fx.file('interfaces'), outside, { recursive: true });
        fx.remove('interfaces');
        fs.symlinkSync(outside, fx.file('interfaces'));
        const result = await fx.validate();
        assert.equal(result.problems.filter((p) => p.rule === 'file.outside').length, 4);
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('accepts a symlink that stays inside the contracts directory', async () => {
      fx.write('decisions/001-database.md', '# ADR-001\n');
      fs.renameSync(fx.file('interfaces/core.interface.md'), fx.file('interfaces/core.real.md'));
      fs.symlinkSync('core.real.md', fx.file('interfaces/core.interface.md'));
      assert.deepEqual(rules(await fx.validate()), []);
    });

    it('refuses a dangling symlink', async () => {
      fx.remove('interfaces/shared-types.md');
      fs.symlinkSync('does-not-exist.md', fx.file('interfaces/shared-types.md'));
      expectProblem(await fx.validate(), 'file.unreadable', 'symlink whose target does not exist');
    });

    it('refuses a directory where a file should be', async () => {
      fx.remove('modules.json');
      fs.mkdirSync(fx.file('modules.json'));
      expectProblem(await fx.validate(), 'file.not-regular', 'modules.json is not a regular file');
    });

    it('refuses a FIFO without hanging', async () => {
      fx.remove('locks.json');
      execFileSync('mkfifo', [fx.file('locks.json')]);
      expectProblem(await fx.validate(), 'file.not-regular', 'locks.json is not a regular file');
    });

    it('survives deeply nested JSON', async () => {
      fx.write('modules.json', '['.repeat(200_000) + ']'.repeat(200_000));
      const result = await fx.validate();
      assert.equal(result.ok, false);
      assert.equal(result.manifest, undefined);
    });

    it(`caps the report at ${MAX_REPORTED_PROBLEMS} problems and says how many were left out`, async () => {
      fx.manifest((m) => {
        for (let i = 0; i < 300; i++) m.modules.push(module(`Bad${i}`));
      });
      const result = await fx.validate();
      assert.equal(result.problems.length, MAX_REPORTED_PROBLEMS + 1);
      const last = result.problems[result.problems.length - 1]!;
      assert.equal(last.rule, 'problems.truncated');
      assert.match(last.message, /^\d+ more problem\(s\) not shown/);
    });
  });
});

describe('formatProblems', () => {
  it('prints one line per problem with file, message and rule', () => {
    const text = formatProblems([
      { file: 'modules.json', item: 'api', rule: 'module.duplicate', message: 'module "api" is declared more than once' },
      { file: 'locks.json', rule: 'json.syntax', message: 'bad\nsecond line' },
    ]);
    assert.deepEqual(text.split('\n'), [
      '- modules.json: module "api" is declared more than once [module.duplicate]',
      '- locks.json: bad second line [json.syntax]',
    ]);
  });
});
