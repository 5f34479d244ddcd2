/**
 * The validator's problem list: every rule it can report, one printable line per problem, and a cap
 * so a hostile manifest cannot drown the architect's repair prompt.
 */
import { quoteUntrusted } from './names';

export type ContractRule =
  | 'contracts.missing'
  | 'file.missing'
  | 'file.outside'
  | 'file.not-regular'
  | 'file.too-large'
  | 'file.binary'
  | 'file.unreadable'
  | 'architecture.done-marker'
  | 'json.syntax'
  | 'modules.schema'
  | 'module.name'
  | 'module.duplicate'
  | 'module.depends-unknown'
  | 'module.depends-self'
  | 'module.path'
  | 'module.path-overlap'
  | 'module.dependency'
  | 'toolchain.command'
  | 'toolchain.placeholder'
  | 'graph.cycle'
  | 'order.missing'
  | 'order.extra'
  | 'order.duplicate'
  | 'order.dependency'
  | 'interface.path'
  | 'interface.empty'
  | 'shared-types.empty'
  | 'locks.schema'
  | 'locks.security-level'
  | 'locks.affects-unknown'
  | 'locks.decision-without-adr'
  | 'locks.interface-unknown'
  | 'adr.name'
  | 'adr.duplicate-number'
  | 'adr.empty'
  | 'adr.none'
  | 'problems.truncated'
  | 'internal';

export interface ContractProblem {
  /** Path relative to the contracts directory, with `/` separators. */
  file: string;
  /** The offending module, key or order entry. Always printable (hostile values are quoted). */
  item?: string;
  rule: ContractRule;
  /** One line, naming the item; safe to print and to put in a prompt. */
  message: string;
}

/** More problems than this would drown the architect's repair prompt; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 200;

/** A value shown as `item`: kept verbatim when it is plain, quoted when it could mislead a reader. */
export function displayItem(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9._/[\]-]{1,100}$/.test(value) ? value : quoteUntrusted(value, 100);
}

export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

export class ProblemList {
  readonly items: ContractProblem[] = [];
  private dropped = 0;

  add(file: string, rule: ContractRule, message: string, item?: unknown): void {
    if (this.items.length >= MAX_REPORTED_PROBLEMS) {
      this.dropped++;
      return;
    }
    const problem: ContractProblem = { file, rule, message: oneLine(message) };
    if (item !== undefined) problem.item = displayItem(item);
    this.items.push(problem);
  }

  finish(): ContractProblem[] {
    if (this.dropped === 0) return this.items;
    const note = `${this.dropped} more problem(s) not shown; fix the ones above first`;
    return [...this.items, { file: '.', rule: 'problems.truncated', message: note }];
  }
}

/** One line per problem, for the architect's repair prompt and the CLI. */
export function formatProblems(problems: readonly ContractProblem[]): string {
  return problems.map((p) => `- ${p.file}: ${oneLine(p.message)} [${p.rule}]`).join('\n');
}
