/**
 * The scripted audit worker (M15): greps its tree for its domain's patterns, keeps its share of the
 * hits (worker n of 3 takes every third), grades them, writes its findings file ending with the DONE
 * line, submits the same findings and answers with one sentence. In the `audit-faults` scenario the
 * target domain's worker 2 fails without writing anything and worker 3 never writes the DONE line.
 */
import type { ScriptedReply } from '../api-types';
import { act, call, finish } from '../reply';
import { workCalls, type RoleContext } from './context';
import { WORKERS_PER_DOMAIN } from './audit-planner';

const PATTERNS: Record<string, string> = {
  security: 'eval\\(|execSync\\(|child_process|password\\s*=|secret\\s*=',
  performance: 'readFileSync|writeFileSync|JSON\\.parse\\(JSON\\.stringify',
  'edge-cases': 'parseInt\\(|catch \\(\\w*\\) \\{\\s*\\}|TODO|FIXME',
  compliance: 'TODO|FIXME|Copyright',
  correctness: 'TODO|FIXME|==[^=]',
};

interface Hit {
  file: string;
  line: number;
  text: string;
}

export interface ScriptedFinding {
  severity: 'CRITICAL' | 'MAJOR' | 'MINOR';
  title: string;
  file: string;
  line: number | null;
  evidence: string;
}

function grade(hit: Hit): ScriptedFinding {
  const t = hit.text;
  const [severity, title]: [ScriptedFinding['severity'], string] = /eval\(|execSync\(|child_process/.test(t)
    ? ['CRITICAL', 'Code execution from data']
    : /password\s*=|secret\s*=/i.test(t)
      ? ['MAJOR', 'Hard-coded credential']
      : /readFileSync|writeFileSync/.test(t)
        ? ['MAJOR', 'Blocking file I/O']
        : ['MINOR', /TODO|FIXME/.test(t) ? 'Unfinished work marker' : 'Questionable construct'];
  return { severity, title, file: hit.file, line: hit.line, evidence: t.trim().slice(0, 200) };
}

export function parseHits(output: string, tree: string): Hit[] {
  const prefix = tree.replace(/\/+$/, '') + '/';
  const hits: Hit[] = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?):(\d+):(.*)$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith(prefix) ? m[1]!.slice(prefix.length) : m[1]!.replace(/^\.\//, '');
    hits.push({ file, line: Number(m[2]), text: m[3]! });
  }
  return hits.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

export function findingsFile(id: string, focus: string, findings: ScriptedFinding[], done: boolean): string {
  const blocks = findings.map((f) => `### ${f.severity}: ${f.title}\n- file: ${f.file}\n- line: ${f.line ?? 'none'}\n- evidence: ${f.evidence}\n`);
  return [`# ${id}: ${focus}`, '', '## Findings', '', ...(blocks.length ? blocks : ['No findings.', '']), ...(done ? ['<!-- DONE -->', ''] : [])].join('\n');
}

/** The harden scenarios' findings: fixed ones from the first worker of some domains, none from the rest. */
function hardenFindings(scenario: 'harden-critical' | 'harden-findings' | 'harden-remerge-red', id: string, module: string): ScriptedFinding[] {
  const file = `src/${module}/index.js`;
  if (scenario === 'harden-critical') {
    return id === 'security-1' ? [{ severity: 'CRITICAL', title: 'Greeting text reaches a shell unescaped', file, line: 1, evidence: 'scripted harden-critical finding' }] : [];
  }
  if (id === 'security-1') return [{ severity: 'MAJOR', title: 'Name length is not bounded', file, line: 1, evidence: 'scripted harden-findings MAJOR' }];
  if (id === 'performance-1') return [{ severity: 'MINOR', title: 'Style table rebuilt on every call', file: 'src/formatter/index.js', line: 1, evidence: 'scripted harden-findings MINOR' }];
  if (id === 'compliance-1') return [{ severity: 'MAJOR', title: 'No licence file in the repository', file: 'LICENSE', line: null, evidence: 'scripted harden-findings unowned MAJOR' }];
  return [];
}

export function auditWorkerTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const f = c.card.fields;
  const id = f['worker_id'] ?? 'worker';
  const domain = f['domain'] ?? 'general';
  const file = f['findings_file'] ?? '';
  const tree = f['tree'] ?? '';
  const index = Number(/-(\d+)$/.exec(id)?.[1] ?? '1');
  const target = ctx.target ?? 'security';
  if (ctx.scenario === 'audit-faults' && id === `${target}-2`) return finish('I could not complete my part of the audit.');
  const noDone = ctx.scenario === 'audit-faults' && id === `${target}-3`;
  const planted = ctx.scenario === 'harden-critical' || ctx.scenario === 'harden-findings' || ctx.scenario === 'harden-remerge-red' ? hardenFindings(ctx.scenario, id, ctx.target ?? 'greeter') : undefined;
  const calls = workCalls(c, c.userTexts[0]?.messageIndex ?? -1);

  const pattern = PATTERNS[domain] ?? 'TODO|FIXME';
  const grep = calls.find((x) => x.name === 'grep' && x.input['pattern'] === pattern);
  if (!grep) return act(c, `Searching the repository for ${domain} problems.`, [call('grep', { pattern, path: '.' })]);
  const hits = grep.result && !grep.result.isError ? parseHits(grep.result.text, tree) : [];
  const findings = planted ?? hits.filter((_, i) => i % WORKERS_PER_DOMAIN === (index - 1) % WORKERS_PER_DOMAIN).slice(0, 20).map(grade);
  const focus = /Your focus as [^:]+: (.*)/.exec(c.userTexts[0]?.text ?? '')?.[1] ?? domain;

  const write = calls.find((x) => x.name === 'write');
  if (!write) return act(c, `Writing ${findings.length} finding(s) to my file.`, [call('write', { file_path: file, content: findingsFile(id, focus, findings, !noDone) })]);
  if (write.result?.isError) return finish(`FAIL. I could not write my findings file: ${write.result.text.slice(0, 200)}`);
  const submitted = calls.find((x) => x.name === 'submit_findings');
  if (!submitted) return act(c, undefined, [call('submit_findings', { findings })]);
  const worst = ['CRITICAL', 'MAJOR', 'MINOR'].find((s) => findings.some((x) => x.severity === s));
  return finish(`${findings.length} finding(s)${worst ? `, worst ${worst}` : ''}.`);
}
