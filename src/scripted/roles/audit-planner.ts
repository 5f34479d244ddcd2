/**
 * The scripted audit planner (M15): looks at the repository's files, picks the domains the request
 * asks for (plus the required ones, padded to three), three workers per domain with distinct
 * foci, and submits the plan. A refused plan is reported in its final text (it does not loop).
 */
import type { ScriptedReply } from '../api-types';
import { act, call, finish } from '../reply';
import { workCalls, type RoleContext } from './context';

export const WORKERS_PER_DOMAIN = 3;

const DOMAIN_WORDS: [string, RegExp][] = [
  ['security', /secur|inject|secret|credential|auth|vulnerab/i],
  ['performance', /perform|slow|fast|memory|latency/i],
  ['edge-cases', /edge|boundary|input|validat|error/i],
  ['compliance', /complian|licen[cs]e|policy/i],
];
const DEFAULT_DOMAINS = ['security', 'performance', 'correctness'];

const FOCI: Record<string, string[]> = {
  security: ['code execution and injection (eval, exec, shell, SQL)', 'hard-coded credentials and secrets', 'unsafe input handling'],
  performance: ['synchronous I/O and blocking calls', 'needless work in loops', 'memory growth'],
  'edge-cases': ['unchecked inputs and parsing', 'error paths and empty catches', 'boundary values'],
  compliance: ['licence headers and notices', 'TODO and FIXME debt', 'documentation of public behaviour'],
  correctness: ['logic errors', 'unfinished code (TODO, FIXME)', 'tests that cannot fail'],
};

export function plannedDomains(request: string, required: string[]): string[] {
  const picked = [...required];
  for (const [name, re] of DOMAIN_WORDS) if (re.test(request) && !picked.includes(name)) picked.push(name);
  for (const name of DEFAULT_DOMAINS) if (picked.length < 3 && !picked.includes(name)) picked.push(name);
  return picked.slice(0, 5);
}

export function auditPlannerTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const calls = workCalls(c, c.userTexts[0]?.messageIndex ?? -1);
  if (c.tools.has('glob') && !calls.some((x) => x.name === 'glob')) {
    return act(c, 'Looking at how the repository is laid out before splitting the audit.', [call('glob', { pattern: '**/*', path: '.' })]);
  }
  const submissions = calls.filter((x) => x.name === 'submit_audit_plan');
  const accepted = submissions.find((x) => x.result && !x.result.isError);
  if (accepted) return finish(`Planned the audit: ${accepted.result!.text.replace(/^recorded: /, '')}.`);
  if (submissions.length > 0) return finish(`My plan was refused: ${submissions.at(-1)?.result?.text.slice(0, 300) ?? ''}`);
  const required = (c.card.fields['required_domains'] ?? '').split(',').map((d) => d.trim()).filter((d) => d && d !== 'none');
  const request = /<audit-request>([\s\S]*?)<\/audit-request>/.exec(c.userTexts[0]?.text ?? '')?.[1] ?? '';
  const domains = plannedDomains(request, required).map((name) => ({
    name,
    goal: `Find ${name} problems in this repository.`,
    workers: Array.from({ length: WORKERS_PER_DOMAIN }, (_, i) => ({ focus: FOCI[name]?.[i] ?? `${name}, part ${i + 1} of ${WORKERS_PER_DOMAIN}`, paths: [] })),
  }));
  return act(c, `Splitting the audit into ${domains.map((d) => d.name).join(', ')}.`, [call('submit_audit_plan', { domains })]);
}
