/**
 * The audit report (`audit-report.md` in the run directory): the coordinators' summaries (what the
 * top level saw, and how many bytes that was), then every finding of a finished worker grouped by
 * domain and severity with a link to file and line, then the workers that did not finish. All model
 * text is escaped: it is shown in a webview and must not become links, HTML or headings.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../run/runDir';
import type { Severity } from '../contracts/schemas';
import type { AuditStore } from './state';
import { DONE_LINE } from './workerFile';

const SEVERITIES: Severity[] = ['CRITICAL', 'MAJOR', 'MINOR'];

/** Model text as inert markdown: one line, markdown and HTML punctuation escaped. */
export function mdText(text: string, max = 400): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max)}…` : one;
  return cut.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`);
}

/** A link the report panel opens in the editor (`file#Lline`), the path percent-encoded. */
export function fileLink(file: string, line: number | null): string {
  if (!file) return '(repository)';
  const label = mdText(line ? `${file}:${line}` : file);
  return `[${label}](${encodeURI(file).replace(/[()]/g, (c) => encodeURIComponent(c))}${line ? `#L${line}` : ''})`;
}

export function renderAuditReport(store: AuditStore): string {
  const s = store.state;
  const domains = s.plan?.domains.map((d) => d.name) ?? [];
  const done = s.workers.filter((w) => w.status === 'done');
  const out: string[] = [
    '# Audit report',
    '',
    `Request: ${mdText(s.request, 1000)}`,
    '',
    `Audited commit \`${s.commit.slice(0, 12)}\` read-only: workers ran in throwaway trees that were removed afterwards.`,
    '',
    `${s.workers.length} workers in ${domains.length} domains (${done.length} finished). The top level received **${s.topLevelBytes} bytes** from the fan-out: the coordinators' summaries only.`,
    '',
    '| domain | workers finished | missing | unfinished | CRITICAL | MAJOR | MINOR |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const d of domains) {
    const ws = s.workers.filter((w) => w.domain === d);
    const f = ws.filter((w) => w.status === 'done').flatMap((w) => w.findings);
    const n = (sev: Severity) => f.filter((x) => x.severity === sev).length;
    out.push(`| ${d} | ${ws.filter((w) => w.status === 'done').length}/${ws.length} | ${ws.filter((w) => w.status === 'missing').length} | ${ws.filter((w) => w.status === 'unfinished').length} | ${n('CRITICAL')} | ${n('MAJOR')} | ${n('MINOR')} |`);
  }
  out.push('', '## What the coordinators reported', '');
  for (const c of s.coordinators) {
    out.push(`### ${c.domain}`, '', c.status === 'done' ? `> ${mdText(c.summary ?? '', 1000)}` : `*No synthesis: ${mdText(c.detail ?? 'the coordinator failed')}*`, '');
  }
  out.push('## Findings', '');
  for (const d of domains) {
    const ws = done.filter((w) => w.domain === d);
    out.push(`### ${d}`, '');
    let any = false;
    for (const sev of SEVERITIES) {
      const items = ws.flatMap((w) => w.findings.filter((f) => f.severity === sev).map((f) => ({ f, w: w.id })));
      if (!items.length) continue;
      any = true;
      out.push(`#### ${sev}`, '');
      for (const { f, w } of items) {
        out.push(`- ${fileLink(f.file, f.line)} — **${mdText(f.title, 200)}** (${w})`, `  > ${mdText(f.evidence)}`);
      }
      out.push('');
    }
    if (!any) out.push('No findings from the workers that finished.', '');
  }
  const gaps = s.workers.filter((w) => w.status === 'missing' || w.status === 'unfinished');
  out.push('## Missing and unfinished workers', '');
  if (!gaps.length) out.push('None: every worker finished.', '');
  for (const w of gaps) out.push(`- ${w.id}: ${w.status}${w.detail ? ` (${mdText(w.detail, 200)})` : ''}; its findings, if any, are not in this report.`);
  out.push('', DONE_LINE, '');
  return out.join('\n');
}

export function writeAuditReport(store: AuditStore, _repoRoot: string): string {
  const file = path.join(store.dirs.root, 'audit-report.md');
  writeFileAtomic(file, renderAuditReport(store));
  return file;
}
