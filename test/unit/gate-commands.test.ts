/**
 * What the human approves at the blueprint gate: the commands from the contracts, verbatim, with the
 * configuration's overrides named as such, in the core summary, the CLI and the VS Code text; and the
 * commands the stages then run (module path filled in, overrides first).
 */
import * as assert from 'node:assert/strict';
import { ModulesManifestSchema } from '../../src/core/contracts/schemas';
import { blueprintCommands, blueprintSummary } from '../../src/core/stack/gateCommands';
import { moduleDirOf, moduleTestCommandFor, projectCommands } from '../../src/core/stack/commands';
import { gateCommandsText } from '../../src/extension/models/gateCommands';

const manifest = ModulesManifestSchema.parse({
  project: 'shop',
  toolchain: {
    runtime: 'TypeScript on Node 22, Jest',
    install: 'npm ci',
    test: 'npx jest {module_dir} --ci',
    integration_test: 'npm test -- --ci',
    lint: 'npx eslint {module_dir}',
    dev_dependencies: ['jest@^29', 'ts-jest@^29'],
  },
  modules: [
    { name: 'core', description: 'the core', interface: 'interfaces/core.interface.md', path: 'packages/core', dependencies: ['zod@^4'] },
    { name: 'api', description: 'the api', depends_on: ['core'], interface: 'interfaces/api.interface.md', test: 'npm run test:api' },
  ],
  build_order: ['core', 'api'],
  assembly_order: ['core', 'api'],
});

describe('blueprint gate commands', () => {
  it('lists every command the engine will run, verbatim, with module overrides', () => {
    assert.deepEqual(
      blueprintCommands({}, manifest).map((c) => c.command),
      ['npm ci', 'npx jest {module_dir} --ci', 'npm test -- --ci', 'npx eslint {module_dir}', 'npm run test:api'],
    );
    const summary = blueprintSummary({}, manifest);
    assert.match(summary, /^core \(sonnet, packages\/core\/\) \[packages: zod@\^4\]: the core$/m);
    assert.match(summary, /^api \(sonnet, src\/api\/\) ← core: the api$/m);
    assert.match(summary, /^dev dependencies: jest@\^29, ts-jest@\^29$/m);
    assert.match(summary, /approving the blueprint approves these exact lines/);
    assert.match(summary, /^ {4}npm test -- --ci$/m);
  });

  it('says build and lint run in the ship stage: a failing build blocks, a failing lint warns', () => {
    const lint = blueprintCommands({}, manifest).find((c) => c.command === 'npx eslint {module_dir}')!;
    assert.match(lint.label, /^lint \(in the ship stage, on the integration branch; a failure is shown at the ship gate as a warning\)$/);
    const withBuild = ModulesManifestSchema.parse({ ...manifest, toolchain: { ...manifest.toolchain, build: 'npm run build' } });
    const build = blueprintCommands({}, withBuild).find((c) => c.command === 'npm run build')!;
    assert.match(build.label, /^build \(in the ship stage, on the integration branch; a failing build blocks the ship\)$/);
    assert.ok(!blueprintSummary({}, withBuild).includes('not by the engine'));
  });

  it('names a configuration override as such, and shows it instead of the contracts\' command', () => {
    const commands = blueprintCommands({ integrationTestCommand: 'make check' }, manifest);
    const integration = commands.find((c) => c.label.startsWith('integration tests'))!;
    assert.equal(integration.command, 'make check');
    assert.match(integration.label, /overriding the contracts/);
    // A module-test override replaces every module's own test command, so those are not listed.
    assert.ok(!blueprintCommands({ moduleTestCommand: 'x {module}' }, manifest).some((c) => c.command === 'npm run test:api'));
  });

  it('the VS Code gate text carries the same lines', () => {
    const text = gateCommandsText({ commands: blueprintCommands({}, manifest) });
    assert.match(text, /install `npm ci`; module tests `npx jest \{module_dir\} --ci`; integration tests `npm test -- --ci`/);
    assert.equal(gateCommandsText({}), '');
  });

  it('the stages run the module command with its path filled in, overrides first', () => {
    assert.equal(moduleDirOf(manifest, 'core'), 'packages/core');
    assert.equal(moduleTestCommandFor({}, manifest, 'core'), 'npx jest packages/core --ci');
    assert.equal(moduleTestCommandFor({}, manifest, 'api'), 'npm run test:api');
    assert.equal(moduleTestCommandFor({ moduleTestCommand: 'node --test {module_dir}/*.test.js # {module}' }, manifest, 'api'), 'node --test src/api/*.test.js # api');
    assert.equal(projectCommands({}, manifest).integrationTest, 'npm test -- --ci');
    assert.equal(projectCommands({ integrationTestCommand: 'make check' }, manifest).integrationTest, 'make check');
    assert.throws(() => moduleTestCommandFor({}, manifest, 'ghost'), /not in modules\.json/);
  });
});
