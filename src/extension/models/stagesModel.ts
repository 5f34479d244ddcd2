/**
 * The Stages view's model: one node per pipeline stage (status, timing, tokens, cost) plus, while a
 * gate waits for the human, a gate node at the top. Fed by a state snapshot and then by events.
 */
import type { RunState, RunStatus, StageStatus, Usage } from '../../core/contracts/schemas';
import { Emitter, type PipelineEvent } from '../../core/events';
import { countsChanged, nodesChanged, structure, type ModelChange } from './changes';
import { estimateUsd } from '../../core/pricing';
import { addUsage, emptyUsage } from '../../core/usage';

export interface StageNode {
  readonly kind: 'stage';
  readonly id: string;
  status: StageStatus;
  startedAt?: number;
  endedAt?: number;
  usage: Usage;
  costUsd: number;
  detail?: string;
  /** The gate this stage is waiting at, if any. */
  gate?: string;
}

export interface GateNode {
  readonly kind: 'gate';
  gate: string;
  summary: string;
}

export type StagesNode = StageNode | GateNode;

export class StagesModel {
  private stages: StageNode[] = [];
  private gateNode: GateNode | undefined;
  runStatus: RunStatus | undefined;
  private readonly changed = new Emitter<ModelChange<StagesNode>>();
  readonly onDidChange = this.changed.event;

  roots(): StagesNode[] {
    return this.gateNode ? [this.gateNode, ...this.stages] : [...this.stages];
  }

  get waitingGate(): GateNode | undefined {
    return this.gateNode;
  }

  clear(): void {
    this.stages = [];
    this.gateNode = undefined;
    this.runStatus = undefined;
    this.changed.fire(structure);
  }

  loadState(state: RunState): void {
    this.runStatus = state.status;
    this.stages = state.stages.map((s) => ({
      kind: 'stage',
      id: s.id,
      status: s.status,
      startedAt: s.startedAt ? Date.parse(s.startedAt) : undefined,
      endedAt: s.endedAt ? Date.parse(s.endedAt) : undefined,
      usage: { ...s.usage },
      costUsd: estimateUsd(s.usage, undefined),
      detail: s.detail,
    }));
    this.gateNode = state.waitingGate ? { kind: 'gate', gate: state.waitingGate, summary: '' } : undefined;
    if (this.gateNode) this.markWaiting(this.gateNode.gate);
    this.changed.fire(structure);
  }

  /** `costUsd` is this event's priced usage, from the shared cost tracker. */
  apply(e: PipelineEvent, costUsd = 0, now = Date.now()): void {
    switch (e.type) {
      case 'stage-started': {
        const { node, added } = this.stage(e.stage);
        node.status = 'running';
        node.startedAt = now;
        node.endedAt = undefined;
        node.detail = undefined;
        return this.fire(added, node);
      }
      case 'stage-ended': {
        const { node, added } = this.stage(e.stage);
        node.status = e.status;
        if (e.status !== 'waiting') node.endedAt = now;
        node.detail = e.detail;
        return this.fire(added, node);
      }
      case 'agent-usage': {
        const { node, added } = this.stage(e.stage);
        addUsage(node.usage, e.usage);
        node.costUsd += costUsd;
        return this.changed.fire(added ? structure : countsChanged<StagesNode>(node));
      }
      case 'gate-waiting':
        this.gateNode = { kind: 'gate', gate: e.gate, summary: e.summary };
        this.markWaiting(e.gate);
        return this.changed.fire(structure);
      case 'gate-decided':
        this.gateNode = undefined;
        for (const s of this.stages) s.gate = undefined;
        return this.changed.fire(structure);
      case 'run-started':
        this.runStatus = 'running';
        return;
      case 'run-ended':
        this.runStatus = e.status;
        if (e.status !== 'awaiting-approval') {
          // No gate waits once the run ended any other way: no stage row offers Approve for one.
          this.gateNode = undefined;
          for (const s of this.stages) s.gate = undefined;
        }
        return this.changed.fire(structure);
      default:
        return;
    }
  }

  /** The gate belongs to the stage that is running or waiting; else to the last one that finished. */
  private markWaiting(gate: string): void {
    const owner =
      this.stages.find((s) => s.status === 'waiting') ??
      this.stages.find((s) => s.status === 'running') ??
      [...this.stages].reverse().find((s) => s.status === 'done');
    if (owner) owner.gate = gate;
  }

  private stage(id: string): { node: StageNode; added: boolean } {
    const found = this.stages.find((s) => s.id === id);
    if (found) return { node: found, added: false };
    const node: StageNode = { kind: 'stage', id, status: 'pending', usage: emptyUsage(), costUsd: 0 };
    this.stages.push(node);
    return { node, added: true };
  }

  private fire(added: boolean, node: StageNode): void {
    this.changed.fire(added ? structure : nodesChanged<StagesNode>(node));
  }
}
