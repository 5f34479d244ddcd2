/**
 * The scripted audit coordinator (M15): reads every worker file of its domain, treats a file that is
 * missing or lacks the DONE line as missing or unfinished (and takes nothing from it), writes the
 * synthesis, submits the summary and the gaps, and answers with one sentence.
 */
import type { ScriptedReply } from '../api-types';
import { act, call, finish } from '../reply';
import { readResult, workCalls, type RoleContext } from './context';

interface Parsed {
  severity: string;
  title: string;
  file: string;
  line: string;
  worker: string;
}

function endsWithDone(text: string): boolean {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) === '<!-- DONE -->';
}

function parseFindings(text: string, worker: string): Parsed[] {
  const out: Parsed[] = [];
  const re = /^### (CRITICAL|MAJOR|MINOR): (.+)\n- file: (.*)\n- line: (.*)$/gm;
  for (const m of text.matchAll(re)) out.push({ severity: m[1]!, title: m[2]!, file: m[3]!, line: m[4]!, worker });
  return out;
}

export function auditCoordinatorTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const f = c.card.fields;
  const domain = f['domain'] ?? 'general';
  const ids = (f['workers'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const files = (f['worker_files'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const out = f['synthesis_file'] ?? '';
  const calls = workCalls(c, c.userTexts[0]?.messageIndex ?? -1);

  const unread = files.filter((p) => readResult(calls, p) === undefined);
  if (unread.length) return act(c, `Reading the ${files.length} worker files of ${domain}.`, unread.map((p) => call('read', { file_path: p })));

  const missing: string[] = [];
  const unfinished: string[] = [];
  const findings: Parsed[] = [];
  files.forEach((p, i) => {
    const id = ids[i] ?? p;
    const r = readResult(calls, p)!;
    if (!r.ok) missing.push(id);
    else if (!endsWithDone(r.text)) unfinished.push(id);
    else findings.push(...parseFindings(r.text, id));
  });
  const order = ['CRITICAL', 'MAJOR', 'MINOR'];
  findings.sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  const count = (s: string) => findings.filter((x) => x.severity === s).length;
  const summary =
    `${domain}: ${findings.length} finding(s) from ${ids.length - missing.length - unfinished.length} of ${ids.length} workers ` +
    `(${count('CRITICAL')} critical, ${count('MAJOR')} major, ${count('MINOR')} minor)` +
    `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unfinished.length ? `; unfinished: ${unfinished.join(', ')}` : ''}.`;

  const write = calls.find((x) => x.name === 'write');
  if (!write) {
    const body = [
      `# Synthesis: ${domain}`,
      '',
      '## Summary',
      summary,
      '',
      '## Findings',
      ...(findings.length ? findings.map((x) => `- ${x.severity} ${x.file}:${x.line} — ${x.title} (${x.worker})`) : ['None.']),
      '',
      '## Missing or unfinished workers',
      ...(missing.length || unfinished.length ? [...missing.map((id) => `- ${id}: missing`), ...unfinished.map((id) => `- ${id}: unfinished`)] : ['None.']),
      '',
      '<!-- DONE -->',
      '',
    ].join('\n');
    return act(c, 'Writing the synthesis.', [call('write', { file_path: out, content: body })]);
  }
  if (write.result?.isError) return finish(`FAIL. I could not write the synthesis: ${write.result.text.slice(0, 200)}`);
  const submissions = calls.filter((x) => x.name === 'submit_synthesis');
  if (!submissions.length) return act(c, undefined, [call('submit_synthesis', { summary, missing, unfinished })]);
  return finish(summary);
}
