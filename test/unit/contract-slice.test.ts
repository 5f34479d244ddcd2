/**
 * Each agent's part of the contracts (src/core/contracts/slice.ts), on the contract sets the scripted
 * architect writes (the same files a run validates) and on hand-made locks: a module sees its own
 * interface and its dependencies', not unrelated modules'; locks are filtered to the ones that bind
 * it; architecture.md and other modules' interfaces are inlined only within their budgets.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocksSchema, ModulesManifestSchema, type Locks } from '../../src/core/contracts/schemas';
import {
  conflictSlice,
  DEFAULT_INLINE_LIMITS,
  lockFlagsFor,
  moduleSlice,
  ownLocks,
  scaffoldSlice,
  sharedContracts,
  type ContractSource,
} from '../../src/core/contracts/slice';
import { readContract } from '../../src/core/stages/contracts';
import { contractSet } from '../../src/scripted/projects/contracts';
import { samplePlan, syntheticPlan, type ProjectPlan } from '../../src/scripted/projects/plan';

function sourceOf(plan: ProjectPlan, locks?: Locks): ContractSource & { files: Map<string, string> } {
  const { files } = contractSet(plan);
  return {
    files,
    manifest: ModulesManifestSchema.parse(JSON.parse(files.get('modules.json')!)),
    locks: locks ?? LocksSchema.parse(JSON.parse(files.get('locks.json')!)),
    read: (rel) => files.get(rel),
  };
}

const iface = (name: string) => `.orchestration/contracts/interfaces/${name}.interface.md`;
const TOKENS = (chars: number) => Math.ceil(chars / 4);

describe('contract slices', () => {
  const large = sourceOf(syntheticPlan(200, 'diamond'));

  it('a module sees its own entry and interface and its dependencies\' interfaces, not unrelated modules\'', () => {
    const mod = large.manifest.modules.find((m) => m.name === 'mod-030')!;
    assert.ok(mod.depends_on.length > 1, 'a middle module of the diamond has several dependencies');
    const slice = moduleSlice(large, mod.name);
    assert.ok(slice.includes(iface(mod.name)), 'its own interface');
    assert.ok(slice.includes(large.files.get(`interfaces/${mod.name}.interface.md`)!.trimEnd()), 'its interface text, whole');
    assert.ok(slice.includes(`"name": "${mod.name}"`), 'its modules.json entry');
    for (const dep of mod.depends_on) assert.ok(slice.includes(iface(dep)), `the interface of its dependency ${dep}`);
    const unrelated = large.manifest.modules.filter((m) => m.name !== mod.name && !mod.depends_on.includes(m.name)).map((m) => m.name);
    assert.ok(unrelated.length > 150);
    for (const other of unrelated) {
      assert.ok(!slice.includes(iface(other)), `${other}'s interface is not inlined`);
      assert.ok(!slice.includes(`# Interface: ${other}\n`), `${other}'s interface text is not inlined`);
    }
    assert.match(slice, /The interfaces of the other modules are not inlined: read `\.orchestration\/contracts\/interfaces\/<module>\.interface\.md`/);
  });

  it('the shared part names every module (index) but inlines no module interface, and is the same for every module', () => {
    const shared = sharedContracts(large);
    for (const m of large.manifest.modules) assert.ok(shared.includes(`- \`${m.name}\` (\`src/${m.name}/\`): `), `${m.name} in the index`);
    assert.ok(!/# Interface: /.test(shared), 'no interface in the shared part');
    assert.ok(shared.includes('# Shared Types: synthetic-200-diamond'), 'shared-types.md is inlined');
    assert.ok(shared.includes('"integration_test"'), 'the toolchain (project part of modules.json)');
    assert.ok(!shared.includes('"build_order"') && !shared.includes('"depends_on"'), 'no module list or order in the shared part');
    assert.equal(sharedContracts(large), shared, 'a pure function of the contracts: one prefix for every agent');
  });

  it('architecture.md is inlined within the size budget; past it, the agent is told to read the file', () => {
    const small = sourceOf(samplePlan());
    const smallArch = small.files.get('architecture.md')!;
    assert.ok(smallArch.length < DEFAULT_INLINE_LIMITS.architectureChars);
    assert.ok(sharedContracts(small).includes(smallArch.trimEnd()), 'a short architecture.md is inlined whole');

    const bigArch = large.files.get('architecture.md')!;
    assert.ok(bigArch.length > DEFAULT_INLINE_LIMITS.architectureChars, `200-module architecture.md is ${bigArch.length} characters`);
    const shared = sharedContracts(large);
    assert.ok(!shared.includes('## Data Flow'), 'not inlined');
    assert.match(shared, new RegExp(`### \\.orchestration/contracts/architecture\\.md \\(not inlined\\)\\nIt has ${bigArch.length} characters, more than is inlined here \\(${DEFAULT_INLINE_LIMITS.architectureChars}\\)\\. Read it with your read tool`));
    // The budget is a parameter: a bigger one inlines it.
    assert.ok(sharedContracts(large, { ...DEFAULT_INLINE_LIMITS, architectureChars: bigArch.length }).includes(bigArch.trimEnd()));
  });

  it('at 200 modules every agent\'s contract text stays a small share of the context window, where the whole set does not', () => {
    const whole = [...large.files.values()].reduce((n, t) => n + t.length, 0);
    assert.ok(TOKENS(whole) > 100_000, `the whole contract set is about ${TOKENS(whole)} tokens`);
    const shared = sharedContracts(large).length;
    let largest = 0;
    for (const m of large.manifest.modules) largest = Math.max(largest, moduleSlice(large, m.name).length);
    // A quarter of the 200k window at most: the clearing threshold is half of it, and the agent's own
    // reads and writes need the rest.
    assert.ok(TOKENS(shared + largest) < 50_000, `shared ${TOKENS(shared)} + largest slice ${TOKENS(largest)} tokens`);
    assert.ok(TOKENS(shared + scaffoldSlice(large).length) < 50_000, 'the scaffold too');
    assert.ok(TOKENS(shared + conflictSlice(large, 'mod-030').length) < 50_000, 'and the master');
  });

  it('other modules\' interfaces beyond the budget are named to be read, not dropped silently', () => {
    const mod = large.manifest.modules.find((m) => m.name === 'mod-030')!;
    const tight = { ...DEFAULT_INLINE_LIMITS, interfacesChars: 1 };
    const slice = moduleSlice(large, mod.name, tight);
    const [first, ...rest] = mod.depends_on;
    assert.ok(slice.includes(iface(first!)), 'at least one dependency is inlined');
    for (const dep of rest) assert.ok(!slice.includes(iface(dep)), `${dep} not inlined`);
    assert.ok(slice.includes(`read them from \`.orchestration/contracts/interfaces/\`: ${rest.join(', ')}.`), 'the rest are named');
    assert.ok(slice.includes(iface(mod.name)), 'its own interface is always inlined');

    const scaffold = scaffoldSlice(large);
    for (const m of large.manifest.modules) assert.ok(scaffold.includes(`- \`${m.name}\`: folder \`src/${m.name}/\`; packages none;`), `${m.name}'s folder for the scaffold`);
    assert.match(scaffold, /\(Not inlined, to keep this prompt short; read them from `\.orchestration\/contracts\/interfaces\/`: mod-\d+, /);
  });

  describe('locks', () => {
    const plan = syntheticPlan(4, 'diamond');
    const names = plan.modules.map((m) => m.name);
    const entry = (affects: string[], assertion: string) => ({ locked_by: 'architect', lock_level: 'locked' as const, affects, assertion, locked_at: '2026-01-01T00:00:00.000Z' });
    const locks: Locks = {
      decisions: {
        '001-everyone-empty': entry([], 'EMPTY-AFFECTS binds all'),
        '002-everyone-listed': entry(names, 'ALL-LISTED binds all'),
        '003-only-02': entry(['mod-02'], 'ONLY-02 rule'),
        '004-only-03': entry(['mod-03', 'mod-04'], 'ONLY-03-04 rule'),
      },
      interfaces: { 'mod-01': entry(['mod-02'], 'IFACE-01 for 02') },
    };
    const src = sourceOf(plan, locks);

    it('the shared part holds the locks binding every module; a slice only those binding its module besides', () => {
      const shared = sharedContracts(src);
      assert.match(shared, /EMPTY-AFFECTS binds all/);
      assert.match(shared, /ALL-LISTED binds all/);
      assert.doesNotMatch(shared, /ONLY-02|ONLY-03-04|IFACE-01/);

      const s02 = moduleSlice(src, 'mod-02');
      assert.match(s02, /decision 003-only-02 \[locked\] \(locked by architect; affects mod-02\): ONLY-02 rule/);
      assert.match(s02, /interface mod-01 \[locked\] .*IFACE-01 for 02/);
      assert.doesNotMatch(s02, /ONLY-03-04|EMPTY-AFFECTS|ALL-LISTED/);
      assert.match(moduleSlice(src, 'mod-01'), /besides those binding every module\n- none/);

      assert.deepEqual(ownLocks(locks, src.manifest, 'mod-04').length, 1);
      // The task card's flags list every lock that binds the module, shared ones included.
      const flags = lockFlagsFor(locks, 'mod-03');
      assert.match(flags, /001-everyone-empty/);
      assert.match(flags, /002-everyone-listed/);
      assert.match(flags, /004-only-03/);
      assert.doesNotMatch(flags, /003-only-02|IFACE-01/);
    });

    it('the master evaluating a conflict sees every lock and the interfaces of the modules that depend on the module', () => {
      const slice = conflictSlice(src, 'mod-02');
      for (const key of ['001-everyone-empty', '002-everyone-listed', '003-only-02', '004-only-03']) assert.ok(slice.includes(`decision ${key} `), key);
      assert.ok(slice.includes('interface mod-01 '));
      assert.ok(slice.includes(iface('mod-04')), 'mod-04 depends on mod-02');
      assert.ok(slice.includes(iface('mod-01')), 'mod-02 depends on mod-01');
      assert.ok(!slice.includes(iface('mod-03')), 'mod-03 is neither');
    });
  });

  it('a module missing from modules.json gets a note, and a contract path that leaves the folder is not read', () => {
    assert.match(moduleSlice(large, 'no-such-module'), /`no-such-module` is not in \.orchestration\/contracts\/modules\.json/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-slice-'));
    try {
      fs.mkdirSync(path.join(dir, 'contracts'));
      fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
      fs.writeFileSync(path.join(dir, 'contracts', 'a.md'), 'inside');
      assert.equal(readContract(path.join(dir, 'contracts'), 'a.md'), 'inside');
      assert.equal(readContract(path.join(dir, 'contracts'), '../secret.txt'), undefined);
      assert.equal(readContract(path.join(dir, 'contracts'), 'missing.md'), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
