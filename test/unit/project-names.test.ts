/**
 * The project's names for the training-pair quality rules (subjects and nouns) are worked out once
 * per loaded contracts, not on every QC pass; a reload of the contracts (a new object) gives names
 * read afresh.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectNouns, projectSubjects } from '../../src/core/stages/bootstrap';
import type { LoadedContracts } from '../../src/core/stages/contracts';
import type { PipelineContext } from '../../src/core/stages/context';

function contractsIn(dir: string): LoadedContracts {
  return {
    dir,
    manifest: { project: 'p', modules: [{ name: 'greeter', interface: 'interfaces/greeter.md', depends_on: [] }], build_order: ['greeter'] },
    locks: { decisions: { 'storage-engine': { value: 'sqlite' } } },
    adrs: ['001-module-system'],
    shared: '',
    read: () => undefined,
  } as unknown as LoadedContracts;
}

describe('project names for the quality rules', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-names-'));
    fs.mkdirSync(path.join(dir, 'interfaces'));
    fs.writeFileSync(path.join(dir, 'interfaces/greeter.md'), 'Exports `greet` and `formatName`.\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the interfaces once per loaded contracts and again after a reload', () => {
    let contracts = contractsIn(dir);
    const ctx = { contracts: () => contracts } as unknown as PipelineContext;
    assert.deepEqual([...projectSubjects(ctx)], ['greeter', 'storage-engine', '001-module-system', 'ADR-001', 'ADR 001']);
    const nouns = projectNouns(ctx);
    assert.deepEqual([...nouns], ['greeter', 'storage-engine', '001-module-system', 'ADR-001', 'ADR 001', 'greet', 'formatName']);
    // The interface changes on disk: the same loaded contracts keep their names (no re-read per pass) ...
    fs.writeFileSync(path.join(dir, 'interfaces/greeter.md'), 'Exports `greet` and `parseName`.\n');
    assert.equal(projectNouns(ctx), nouns);
    // ... and the reload that follows every contract change gives the new ones.
    contracts = contractsIn(dir);
    assert.deepEqual([...projectNouns(ctx)], ['greeter', 'storage-engine', '001-module-system', 'ADR-001', 'ADR 001', 'greet', 'parseName']);
  });
});
