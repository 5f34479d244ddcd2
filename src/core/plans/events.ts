/**
 * Events of plan creation and plan implementation: the engine's own agent and tool events plus what
 * only a team run has (phases, tasks, teammates, mailbox traffic, review items, gates).
 */
import type { PipelineEvent } from '../events';

export type TeammateState = 'working' | 'idle' | 'dead';

export type TeamEvent =
  | PipelineEvent
  | { type: 'plan-written'; dir: string; phases: number; problems: number }
  | { type: 'audit'; verdict: string; reasons: string[] }
  | { type: 'phase-status'; phase: string; status: string; detail?: string }
  | { type: 'test-gate'; phase: string; when: 'before' | 'after' | 'merged'; passed: boolean; failures: number }
  | { type: 'task-status'; phase: string; task: string; status: string; by?: string; detail?: string }
  | { type: 'teammate-state'; phase: string; name: string; role: string; state: TeammateState; task?: string; detail?: string }
  | { type: 'team-message'; phase: string; seq: number; from: string; to: string; event: 'sent' | 'delivered'; text: string }
  | { type: 'review-item'; phase: string; severity: string; file: string; line: number; processing: string; reason?: string }
  | { type: 'gate'; gate: string; decision: string; detail?: string };
