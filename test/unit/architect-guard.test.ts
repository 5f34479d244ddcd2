import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileTools, ROLE_TOOLS, type ToolObserver } from '../../src/core/agents/tools';
import { restoreFile } from '../../src/core/agents/agentFiles';
import { AUDIT_FILE } from '../../src/core/locks/audit';

const quiet: ToolObserver = { call: () => undefined, result: () => undefined };

describe("the architect's guard over earlier contracts", () => {
  let dir: string;
  let wt: string;
  let outside: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-arch-guard-')));
    wt = path.join(dir, 'wt');
    outside = path.join(dir, 'outside');
    fs.mkdirSync(path.join(wt, '.orchestration', 'contracts'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'greeter.interface.md'), 'outside\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('restores a file through a folder the shell swapped for a link: the link goes, nothing outside is written', () => {
    fs.symlinkSync(outside, path.join(wt, '.orchestration/contracts/interfaces'));
    restoreFile(wt, '.orchestration/contracts/interfaces/greeter.interface.md', '# greeter as it was\n');
    assert.equal(fs.readFileSync(path.join(outside, 'greeter.interface.md'), 'utf8'), 'outside\n');
    assert.ok(fs.lstatSync(path.join(wt, '.orchestration/contracts/interfaces')).isDirectory());
    assert.equal(fs.readFileSync(path.join(wt, '.orchestration/contracts/interfaces/greeter.interface.md'), 'utf8'), '# greeter as it was\n');
    // A file that was a link itself is replaced, not written through; absent data removes it.
    fs.symlinkSync(path.join(outside, 'greeter.interface.md'), path.join(wt, '.orchestration/contracts/locks.json'));
    restoreFile(wt, '.orchestration/contracts/locks.json', '{}\n');
    assert.equal(fs.readFileSync(path.join(outside, 'greeter.interface.md'), 'utf8'), 'outside\n');
    assert.equal(fs.readFileSync(path.join(wt, '.orchestration/contracts/locks.json'), 'utf8'), '{}\n');
    restoreFile(wt, '.orchestration/contracts/locks.json', undefined);
    assert.ok(!fs.existsSync(path.join(wt, '.orchestration/contracts/locks.json')));
  });

  it("the audit trail is read-only to the architect's write tool, the rest of the contracts folder is not", async () => {
    const contracts = '.orchestration/contracts';
    const tools = fileTools(ROLE_TOOLS.architect, { workdir: wt, readOnlyRoots: [`${contracts}/${AUDIT_FILE}`], writable: [`${contracts}/`], env: {}, bashTimeoutMs: 1000 }, quiet);
    const write = tools.find((t) => t.name === 'write')!;
    await assert.rejects(async () => write.run({ file_path: `${contracts}/${AUDIT_FILE}`, content: '{}\n' }), /locks-audit\.jsonl is read-only/);
    assert.ok(!fs.existsSync(path.join(wt, contracts, AUDIT_FILE)));
    await write.run({ file_path: `${contracts}/locks.json`, content: '{}\n' });
    assert.equal(fs.readFileSync(path.join(wt, contracts, 'locks.json'), 'utf8'), '{}\n');
  });
});
