// Audit mode's boundaries: the plan, findings and synthesis schemas, the DONE protocol, and the report's
// handling of hostile model text (it is rendered in a webview).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditFindingSchema, AuditPlanSchema } from '../../src/core/audit/schemas';
import { classifyFile, endsWithDone } from '../../src/core/audit/workerFile';
import { fileLink, mdText, renderAuditReport } from '../../src/core/audit/report';
import { auditDirs, AuditStore } from '../../src/core/audit/state';
import { renderMarkdown } from '../../src/extension/models/markdownRender';
import { auditBadges } from '../../src/extension/models/reportBadges';

const workers = (n: number) => Array.from({ length: n }, (_, i) => ({ focus: `part ${i + 1}`, paths: [] as string[] }));
const domain = (name: string, n = 3) => ({ name, goal: `find ${name} problems`, workers: workers(n) });

describe('audit plan and findings schemas', () => {
  it('accepts 3–5 domains of 3–8 workers and refuses anything else', () => {
    assert.ok(AuditPlanSchema.safeParse({ domains: [domain('security'), domain('performance'), domain('edge-cases', 8)] }).success);
    assert.ok(!AuditPlanSchema.safeParse({ domains: [domain('security'), domain('performance')] }).success, 'two domains');
    assert.ok(!AuditPlanSchema.safeParse({ domains: ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => domain(n)) }).success, 'six domains');
    assert.ok(!AuditPlanSchema.safeParse({ domains: [domain('a', 2), domain('b'), domain('c')] }).success, 'two workers');
    assert.ok(!AuditPlanSchema.safeParse({ domains: [domain('a', 9), domain('b'), domain('c')] }).success, 'nine workers');
    assert.ok(!AuditPlanSchema.safeParse({ domains: [domain('a'), domain('a'), domain('c')] }).success, 'duplicate names');
    for (const bad of ['../x', 'Security', 'a b', 'x/y', '']) {
      assert.ok(!AuditPlanSchema.safeParse({ domains: [domain(bad), domain('b'), domain('c')] }).success, `domain name ${JSON.stringify(bad)}`);
    }
  });

  it('refuses finding paths outside the repository', () => {
    const f = (file: string) => AuditFindingSchema.safeParse({ severity: 'MAJOR', title: 't', file, line: 3, evidence: 'e' }).success;
    assert.ok(f('src/a.js'));
    assert.ok(f('./src/a.js'));
    assert.ok(f(''));
    assert.ok(!f('/etc/passwd'));
    assert.ok(!f('../outside.js'));
    assert.ok(!f('src/../../x'));
    assert.ok(!f('C:/windows'));
    assert.ok(!AuditFindingSchema.safeParse({ severity: 'HIGH', title: 't', file: 'a', line: 1, evidence: 'e' }).success);
  });
});

describe('the DONE protocol', () => {
  it('counts a file only when its last non-blank line is the sentinel', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-audit-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.md'), '# a\n\n<!-- DONE -->\n\n');
      fs.writeFileSync(path.join(dir, 'b.md'), '# b\n<!-- DONE -->\nmore after it\n');
      fs.writeFileSync(path.join(dir, 'c.md'), '# c, cut off mid-sen');
      assert.equal(classifyFile(path.join(dir, 'a.md')), 'done');
      assert.equal(classifyFile(path.join(dir, 'b.md')), 'unfinished');
      assert.equal(classifyFile(path.join(dir, 'c.md')), 'unfinished');
      assert.equal(classifyFile(path.join(dir, 'nope.md')), 'missing');
      assert.ok(!endsWithDone('<!-- DONE --> trailing'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('audit report', () => {
  it('keeps hostile model text inert and links findings to file and line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-audit-'));
    try {
      const store = AuditStore.open(auditDirs(dir), () => ({
        version: 1,
        request: 'audit <img src=x onerror=alert(1)>',
        commit: 'abcdef0123456789',
        requiredDomains: [],
        plan: { domains: [domain('security'), domain('performance'), domain('compliance')] },
        workers: [
          {
            id: 'security-1', domain: 'security', index: 1, focus: 'f', paths: [], status: 'done',
            findings: [{ severity: 'CRITICAL', title: '[click](command:workbench.action.terminal.new)', file: 'src/a (1).js', line: 7, evidence: '<script>alert(1)</script>\n# heading' }],
          },
          { id: 'security-2', domain: 'security', index: 2, focus: 'f', paths: [], status: 'unfinished', findings: [] },
        ],
        coordinators: [{ domain: 'security', status: 'done', summary: 'one critical', missing: [], unfinished: ['security-2'] }],
        topLevelBytes: 12,
      }));
      const md = renderAuditReport(store);
      assert.match(md, /security-2: unfinished/);
      assert.match(md, /\*\*12 bytes\*\*/);
      const html = renderMarkdown(md);
      assert.doesNotMatch(html, /<script|<img|href="command:|<[^>]*\bonerror=/i);
      assert.match(html, /&lt;script&gt;/, 'shown as text');
      assert.match(html, /data-open-file="src\/a \(1\)\.js" data-line="7"/);
      assert.deepEqual(auditBadges(md).map((b) => b.label), ['1 critical']);
      assert.equal(fileLink('', null), '(repository)');
      assert.equal(mdText('a\n# b [c]'), 'a \\# b \\[c\\]');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
