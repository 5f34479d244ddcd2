// Each agent's part of the contracts, proven from what went over the wire: the scripted model (real
// SDK, loopback HTTP) records every request, and a builder's system prompt carries its own module's
// interface and its dependencies', never an unrelated module's; the shared prefix is the same bytes
// for every builder and is read from the prompt cache by a builder that starts after the first.
import * as assert from 'node:assert/strict';
import { makeRepo, runPipeline, type TestRepo } from './harness';
import { syntheticDescription, type ReceivedRequest } from '../../src/scripted';
import { diamondLayers } from '../../src/scripted/projects/plan';

interface SystemBlock {
  type: string;
  text: string;
  cache_control?: unknown;
}

function firstUserText(req: ReceivedRequest): string {
  const content = req.messages[0]?.content ?? '';
  return typeof content === 'string' ? content : content.map((b) => (b['type'] === 'text' ? String(b['text']) : '')).join('\n');
}

const card = (req: ReceivedRequest, key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(firstUserText(req))?.[1];
const iface = (name: string) => `.orchestration/contracts/interfaces/${name}.interface.md`;

describe('contract slices on the wire', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('a builder and its QC get their module\'s interface and its dependencies\', not another module\'s; the shared prefix is one cached block', async () => {
    // Diamond of 4: mod-01 <- (mod-02, mod-03) <- mod-04.
    assert.deepEqual(diamondLayers(4), [[1], [2, 3], [4]]);
    const requests: ReceivedRequest[] = [];
    const { result, events } = await runPipeline(repo, { description: syntheticDescription(4, 'diamond'), scenario: { onRequest: (r) => requests.push(r) }, config: { stopAfter: 'build' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');

    const firstOf = (role: string, module: string) => requests.find((r) => card(r, 'role') === role && card(r, 'module') === module);
    const system = (r: ReceivedRequest) => r.system as SystemBlock[];
    const deps: Record<string, string[]> = { 'mod-01': [], 'mod-02': ['mod-01'], 'mod-03': ['mod-01'], 'mod-04': ['mod-02', 'mod-03'] };
    const sharedTexts = new Set<string>();
    for (const role of ['builder', 'qc']) {
      for (const [module, dependsOn] of Object.entries(deps)) {
        const req = firstOf(role, module);
        assert.ok(req, `a ${role} request for ${module}`);
        const [shared, slice, ...more] = system(req);
        assert.equal(more.length, 0, 'two system blocks: the shared prefix, then the slice');
        assert.ok(shared!.cache_control && slice!.cache_control, 'each block ends a cacheable prefix');
        if (role === 'builder') sharedTexts.add(shared!.text);
        // The shared prefix names every module but inlines no interface.
        for (const m of Object.keys(deps)) assert.ok(shared!.text.includes(`- \`${m}\` (\`src/${m}/\`)`), `${m} in the index`);
        assert.ok(!shared!.text.includes('# Interface: '), 'no interface in the shared prefix');
        // The slice: its own interface and its dependencies', no other module's.
        assert.ok(slice!.text.startsWith(`## Contracts of the module \`${module}\``), slice!.text.slice(0, 80));
        assert.ok(slice!.text.includes(`# Interface: ${module}\n`), `${role} of ${module} sees its interface`);
        for (const m of Object.keys(deps).filter((x) => x !== module)) {
          const should = dependsOn.includes(m);
          assert.equal(slice!.text.includes(iface(m)), should, `${role} of ${module} ${should ? 'sees' : 'does not see'} ${m}'s interface`);
          assert.equal(slice!.text.includes(`# Interface: ${m}\n`), should);
        }
      }
    }
    assert.equal(sharedTexts.size, 1, 'every builder\'s shared prefix is the same bytes');

    // The last builder to start read that prefix from the cache on its very first call: only the
    // separate breakpoint on the shared block makes that possible, its slice being new.
    const firstCall = events.find((e) => e.type === 'agent-usage' && e.agentId === 'builder-mod-04-0');
    assert.ok(firstCall && firstCall.type === 'agent-usage');
    assert.ok(firstCall.usage.cacheRead > 0, `builder-mod-04-0's first call read ${firstCall.usage.cacheRead} tokens from cache`);
  });
});
