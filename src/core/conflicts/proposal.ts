/**
 * What the human sees before deciding a contract conflict (M13): every change the master proposes,
 * with the value it would write, the value it replaces and the lock it is under. The locks are found
 * from the changes themselves (as the lock check will find them), not only taken from the master's
 * own `affected_locks` list, which may leave one out. The gate's summary holds a line per change; the
 * file it opens holds the full texts and the builder's report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LockLevel, Locks } from '../contracts/schemas';
import { quoteUntrusted } from '../contracts/names';
import { readAgentFile } from '../agents/agentFiles';
import { interfaceLock, interfaceRel, lockedItem, type ContractChange } from '../locks';
import { oneLine } from '../contracts/slice';
import { mdText } from '../audit/report';
import type { ConflictRecord } from './resolution';

export interface ConflictGateView {
  /** A few lines for the gate's prompt. */
  summary: string;
  /** The proposal in full, written beside the record for the gate to open. */
  markdown: string;
}

interface TouchedLock {
  key: string;
  /** `unlocked` also where locks.json has no entry for the item. */
  level: LockLevel;
}

/** Every lock the resolution touches: those its changes fall under, then the others the master named. */
export function touchedLocks(record: ConflictRecord, locks: Locks): TouchedLock[] {
  const res = record.resolution!;
  const seen = new Map<string, TouchedLock>();
  for (const { change } of res.contract_changes) {
    const item = lockedItem(locks, change);
    const key = `${change.kind} ${change.key}`;
    if (!seen.has(key)) seen.set(key, { key, level: item.entry?.lock_level ?? 'unlocked' });
  }
  for (const named of res.affected_locks) {
    const kind = named in locks.decisions ? 'decision' : 'interface';
    // Looked up as the lock check would (for an interface, the stricter of its two possible entries).
    const entry = kind === 'decision' ? locks.decisions[named] : interfaceLock(locks, named);
    if (!seen.has(`${kind} ${named}`)) seen.set(`${kind} ${named}`, { key: `${kind} ${named}`, level: entry?.lock_level ?? 'unlocked' });
  }
  return [...seen.values()];
}

export function conflictGateView(record: ConflictRecord, locks: Locks, contractsDir: string): ConflictGateView {
  const res = record.resolution!;
  const changes = res.contract_changes.map(({ change, reason }) => describeChange(change, reason, locks, contractsDir));
  const touched = touchedLocks(record, locks);
  const summary = [
    oneLine(res.rationale, 600),
    `Affected modules: ${res.affected_modules.join(', ') || 'none'}`,
    `Locks touched: ${touched.map((t) => `${t.key} [${t.level}]`).join(', ') || 'none'}`,
    ...changes.map((c) => `Change: ${c.line}`),
    'Approve accepts the recommendation; request changes sends it back to the master with your feedback; reject stops the run.',
  ].join('\n');
  const markdown = [
    `# Contract conflict in ${record.module} (${record.issue})`,
    '',
    `The master recommends ${res.recommendation === 'flex-contract' ? '**changing the contract**' : '**that the builder adapts** (the contract stands)'}.`,
    '',
    '## Rationale',
    '',
    fenced(res.rationale),
    '',
    '## Locks touched',
    '',
    ...(touched.length ? touched.map((t) => `- ${t.key}: **${t.level}**`) : ['- none']),
    '',
    '## Contract changes',
    '',
    ...(changes.length ? changes.flatMap((c, i) => [`### ${i + 1}. ${c.heading}`, '', ...c.detail, '']) : ['None: the contract stands.', '']),
    '## Instructions the builder would get',
    '',
    fenced(res.builder_instructions),
    '',
    `## ADR to be written: ${mdText(res.adr.title, 200)}`,
    '',
    fenced(res.adr.decision),
    '',
    "## The builder's report",
    '',
    fenced(bounded(record.report, 200_000)),
    '',
  ].join('\n');
  return { summary, markdown };
}

/** Where the proposal is written: beside the conflict's record in the run directory (a dot, which no issue slug has, keeps it apart from the builder's `<module>-<issue>.md`). */
export function proposalPath(conflictsDir: string, record: ConflictRecord): string {
  return path.join(conflictsDir, `${record.module}-${record.issue}.proposal.md`);
}

interface DescribedChange {
  line: string;
  heading: string;
  detail: string[];
}

function describeChange(change: ContractChange, reason: string, locks: Locks, contractsDir: string): DescribedChange {
  const level = lockedItem(locks, change).entry?.lock_level ?? 'unlocked';
  if (change.kind === 'decision') {
    const now = locks.decisions[change.key];
    const parts: string[] = [];
    if (change.assertion !== undefined) parts.push(`assertion ${quoteUntrusted(oneLine(change.assertion, 160), 200)}${now ? ` (was ${quoteUntrusted(oneLine(now.assertion, 160), 200)})` : ''}`);
    if (change.lock_level !== undefined && change.lock_level !== now?.lock_level) parts.push(`lock ${now?.lock_level ?? 'none'} → ${change.lock_level}`);
    if (change.affects !== undefined) parts.push(`affects ${change.affects.join(', ') || 'nothing'}${now ? ` (was ${now.affects.join(', ') || 'nothing'})` : ''}`);
    const heading = `${now ? 'decision' : 'new decision'} \`${change.key}\` (lock: ${level})`;
    return {
      line: `${now ? 'decision' : 'new decision'} ${change.key} [${level}]: ${parts.join('; ') || 'no field'}. Why: ${oneLine(reason, 200)}`,
      heading,
      detail: [
        `Why: ${mdText(reason, 2000)}`,
        '',
        '| | now | proposed |',
        '|---|---|---|',
        `| assertion | ${cell(now?.assertion)} | ${cell(change.assertion ?? now?.assertion)} |`,
        `| lock level | ${cell(now?.lock_level)} | ${cell(change.lock_level ?? now?.lock_level)} |`,
        `| affects | ${cell(now?.affects.join(', '))} | ${cell((change.affects ?? now?.affects)?.join(', '))} |`,
      ],
    };
  }
  const rel = change.kind === 'interface' ? interfaceRel(change.key) : path.join('decisions', `${change.key}.md`);
  // As an agent's file: no link followed, nothing outside the contracts (the key is the master's).
  const text = readAgentFile(contractsDir, rel);
  const current = text === undefined ? undefined : bounded(text, 200_000);
  const lines = (text: string) => text.split('\n').length;
  const unreadable = current === undefined && fs.lstatSync(path.join(contractsDir, rel), { throwIfNoEntry: false }) !== undefined;
  const what = current !== undefined ? `${lines(current)} lines replaced by ${lines(change.text)}` : unreadable ? 'replaces a file that is not a regular one (not shown)' : 'a new file';
  return {
    line: `${change.kind} ${change.key} [${level}]: ${what} (${rel}; full text in the proposal). Why: ${oneLine(reason, 200)}`,
    heading: `${change.kind} \`${change.key}\` (lock: ${level}; ${rel})`,
    detail: [`Why: ${mdText(reason, 2000)}`, '', '#### Now', '', current === undefined ? '(no such file yet)' : fenced(current), '', '#### Proposed', '', fenced(change.text)],
  };
}

/** A table cell: one line of inert markdown (its pipes escaped with the rest). */
function cell(text: string | undefined): string {
  return text === undefined || text === '' ? '—' : mdText(text, 400);
}

/**
 * Model text shown verbatim: inside a fence longer than any run of backticks in it, so no heading,
 * link or closing fence in the text changes the document around it.
 */
export function fenced(text: string): string {
  // A loop, not Math.max(...runs): a text of many backtick runs would overflow the call's arguments.
  let longest = 2;
  for (const run of text.matchAll(/`+/g)) longest = Math.max(longest, run[0].length);
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n… [${text.length - max} more characters]` : text;
}
