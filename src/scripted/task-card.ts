/**
 * The task card is the machine-readable head of every agent's first message: the scripted model's
 * only source for who it is playing (role, module, fix cycle, test command). Tag blocks such as
 * <project-description>, <validation-problems> and <qc-findings> ride in the same or later messages.
 */
import type { AgentRole } from './types';

export interface TaskCard {
  role: AgentRole;
  /** Every `key: value` line of the card, including ones the model does not use. */
  fields: Record<string, string>;
  project: string;
  module?: string;
  moduleDir?: string;
  fixCycle: number;
  testCommand?: string;
  contractsDir: string;
  brainFile?: string;
  trainingFile?: string;
  conflictFile?: string;
}

const ROLES: readonly AgentRole[] = ['architect', 'scaffold', 'builder', 'qc', 'master', 'training', 'audit-planner', 'audit-worker', 'audit-coordinator', 'shipper'];

/** Text between `<tag>` and `</tag>`, trimmed; undefined when absent. The last occurrence wins. */
export function taggedBlock(text: string, tag: string): string | undefined {
  const open = `<${tag}>`;
  const start = text.lastIndexOf(open);
  if (start < 0) return undefined;
  const end = text.indexOf(`</${tag}>`, start + open.length);
  return text.slice(start + open.length, end < 0 ? undefined : end).trim();
}

/** Keeps a value from the card only if it is a usable single value (not empty, not `none` or `-`). */
function present(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return v === '' || v === '-' || /^(none|n\/a)$/i.test(v) ? undefined : v;
}

export function parseTaskCard(text: string): TaskCard {
  const body = taggedBlock(text, 'task-card') ?? '';
  const fields: Record<string, string> = {};
  for (const line of body.split('\n')) {
    const m = /^\s*([a-z_]+)\s*:\s*(.*?)\s*$/i.exec(line);
    if (m) fields[m[1]!.toLowerCase()] = m[2]!;
  }
  const role = ROLES.find((r) => r === fields['role']?.toLowerCase()) ?? 'unknown';
  const fixCycle = Number.parseInt(fields['fix_cycle'] ?? '0', 10);
  const module = present(fields['module']);
  return {
    role,
    fields,
    project: present(fields['project']) ?? '',
    module,
    moduleDir: present(fields['module_dir']) ?? (module !== undefined ? `src/${module}` : undefined),
    fixCycle: Number.isFinite(fixCycle) && fixCycle > 0 ? fixCycle : 0,
    testCommand: present(fields['test_command']),
    contractsDir: (present(fields['contracts_dir']) ?? '.orchestration/contracts').replace(/\/+$/, ''),
    brainFile: present(fields['brain_file']),
    trainingFile: present(fields['training_file']),
    conflictFile: present(fields['conflict_file']),
  };
}
