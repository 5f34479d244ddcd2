/**
 * The Modules view's model: one node per module with its status, branch, QC verdict, fix cycles,
 * worktree and QC report. Fed by a state snapshot and then by events.
 */
import * as path from 'node:path';
import type { ModelTier, ModuleStatus, RunState, Usage, Verdict } from '../../core/contracts/schemas';
import { Emitter, type PipelineEvent } from '../../core/events';
import { countsChanged, nodesChanged, structure, type ModelChange } from './changes';
import { addUsage, emptyUsage } from '../../core/usage';
import { estimateUsd } from '../../core/pricing';

export interface ModuleNode {
  readonly kind: 'module';
  readonly name: string;
  status: ModuleStatus;
  branch: string;
  tier?: ModelTier;
  verdict?: Verdict;
  qcAttempts: number;
  fixCycles: number;
  worktree?: string;
  reportPath?: string;
  merge?: { result: 'clean' | 'auto-resolved' | 'conflict'; tests: 'pass' | 'fail' | 'not-run' };
  mergeCommit?: string;
  usage: Usage;
  costUsd: number;
  detail?: string;
}

export function qcReportPath(runDir: string, module: string): string {
  return path.join(runDir, 'qc', `${module}-build-qc.md`);
}

export class ModulesModel {
  private modules: ModuleNode[] = [];
  private runId = '';
  private runDir = '';
  private readonly changed = new Emitter<ModelChange<ModuleNode>>();
  readonly onDidChange = this.changed.event;

  roots(): ModuleNode[] {
    return [...this.modules];
  }

  get(name: string): ModuleNode | undefined {
    return this.modules.find((m) => m.name === name);
  }

  clear(): void {
    this.modules = [];
    this.changed.fire(structure);
  }

  loadState(state: RunState): void {
    this.runId = state.runId;
    this.runDir = state.runDir;
    this.modules = state.modules.map((m) => this.fromState(m, state.runDir));
    this.changed.fire(structure);
  }

  private fromState(m: RunState['modules'][number], runDir: string): ModuleNode {
    return {
      kind: 'module',
      name: m.name,
      status: m.status,
      branch: m.branch,
      tier: m.tier,
      verdict: m.verdict,
      qcAttempts: m.qcAttempts,
      fixCycles: m.fixCycles,
      worktree: m.worktree,
      reportPath: m.verdict ? qcReportPath(runDir, m.name) : undefined,
      mergeCommit: m.mergeCommit,
      usage: { ...m.usage },
      costUsd: estimateUsd(m.usage, undefined),
      detail: m.detail,
    };
  }

  /**
   * Adds, in one structural change, the modules a state lists that have no node yet. Called when a
   * stage starts or ends: the blueprint lists every module at once, and a tree that learnt them one
   * event at a time redrew itself whole once per module (O(N²) rows drawn for N modules).
   */
  addListed(state: Pick<RunState, 'modules' | 'runDir'>): void {
    const known = new Set(this.modules.map((m) => m.name));
    const fresh = state.modules.filter((m) => !known.has(m.name));
    if (fresh.length === 0) return;
    for (const m of fresh) this.modules.push(this.fromState(m, state.runDir));
    this.changed.fire(structure);
  }

  apply(e: PipelineEvent, costUsd = 0): void {
    switch (e.type) {
      case 'run-started':
        this.runId = e.runId;
        this.runDir = e.runDir;
        return;
      case 'module-status': {
        const { node, added } = this.module(e.module);
        if (e.status === 'fixing' && node.status !== 'fixing') node.fixCycles += 1;
        node.status = e.status;
        node.detail = e.detail;
        return this.fire(added, node);
      }
      case 'module-verdict': {
        const { node, added } = this.module(e.module);
        node.verdict = e.verdict.verdict;
        node.qcAttempts = Math.max(node.qcAttempts, e.attempt);
        node.reportPath = e.reportPath;
        return this.fire(added, node);
      }
      case 'worktree-added': {
        if (!this.isModule(e.module)) return;
        const { node, added } = this.module(e.module);
        node.worktree = e.path;
        node.branch = e.branch;
        return this.fire(added, node);
      }
      case 'worktree-removed': {
        const node = this.get(e.module);
        if (!node) return;
        node.worktree = undefined;
        return this.fire(false, node);
      }
      case 'merge': {
        const { node, added } = this.module(e.module);
        node.merge = { result: e.result, tests: e.tests };
        return this.fire(added, node);
      }
      case 'agent-usage': {
        if (!e.module) return;
        const { node, added } = this.module(e.module);
        addUsage(node.usage, e.usage);
        node.costUsd += costUsd;
        return this.changed.fire(added ? structure : countsChanged(node));
      }
      default:
        return;
    }
  }

  /** The integration worktree is the engine's, not a module's: it gets no module node. */
  private isModule(name: string): boolean {
    return name !== 'integration';
  }

  private module(name: string): { node: ModuleNode; added: boolean } {
    const found = this.get(name);
    if (found) return { node: found, added: false };
    const node: ModuleNode = {
      kind: 'module',
      name,
      status: 'pending',
      branch: this.runId ? `orchestration/${this.runId}/${name}` : '',
      qcAttempts: 0,
      fixCycles: 0,
      usage: emptyUsage(),
      costUsd: 0,
    };
    this.modules.push(node);
    return { node, added: true };
  }

  private fire(added: boolean, node: ModuleNode): void {
    this.changed.fire(added ? structure : nodesChanged(node));
  }

  /** For building QC report paths of modules the events have not described yet. */
  get currentRunDir(): string {
    return this.runDir;
  }
}
