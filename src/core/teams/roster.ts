/**
 * Who is on a phase's team and in what state (T5): working (its loop is running), idle (waiting for
 * work: no model calls, so it costs nothing) or dead (its loop failed, or it made no progress for
 * the configured time). Persisted with every change, so a resume knows exactly who is alive, and a
 * name is never spawned twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { UsageSchema } from '../contracts/schemas';
import { writeFileAtomic } from '../run/runDir';
import { emptyUsage } from '../usage';

export const TeammateSchema = z.object({
  name: z.string(),
  role: z.enum(['builder', 'validator']),
  state: z.enum(['working', 'idle', 'dead']),
  worktree: z.string(),
  branch: z.string(),
  /** The commit its worktree returns to if it dies (its last engine commit). */
  lastCommit: z.string(),
  wakes: z.number().int().min(0),
  task: z.string().optional(),
  diedReason: z.string().optional(),
  usage: UsageSchema,
});
export type Teammate = z.infer<typeof TeammateSchema>;

const RosterFileSchema = z.object({ teammates: z.array(TeammateSchema) });

export class Roster {
  private constructor(
    private readonly file: string,
    readonly teammates: Teammate[],
  ) {}

  static open(file: string): Roster {
    if (!fs.existsSync(file)) return new Roster(file, []);
    const parsed = RosterFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is invalid: ${parsed.error.issues[0]?.message}`);
    return new Roster(file, parsed.data.teammates);
  }

  save(): void {
    writeFileAtomic(this.file, JSON.stringify({ teammates: this.teammates }, null, 2) + '\n');
  }

  get(name: string): Teammate | undefined {
    return this.teammates.find((t) => t.name === name);
  }

  live(role?: Teammate['role']): Teammate[] {
    return this.teammates.filter((t) => t.state !== 'dead' && (role === undefined || t.role === role));
  }

  /** Adds a teammate; refuses a name that exists (alive or dead), so no duplicate is ever spawned. */
  add(t: Omit<Teammate, 'wakes' | 'usage' | 'state'>): Teammate {
    if (this.get(t.name)) throw new Error(`teammate ${t.name} exists already; no duplicate is spawned`);
    const mate: Teammate = { ...t, state: 'idle', wakes: 0, usage: emptyUsage() };
    this.teammates.push(mate);
    this.save();
    return mate;
  }

  /** The next unused name for a role: builder-1, builder-2, … */
  nextName(role: Teammate['role']): string {
    for (let i = 1; ; i++) if (!this.get(`${role}-${i}`)) return `${role}-${i}`;
  }
}

export interface Conversation {
  messages: BetaMessageParam[];
  /** The last mailbox seq this conversation has seen. */
  deliveredThrough: number;
  /** One line per finished task, kept when the conversation is compacted. */
  notes: string[];
}

export function conversationFile(teamDir: string, name: string): string {
  return path.join(teamDir, `${name}.conversation.json`);
}

export function loadConversation(teamDir: string, name: string): Conversation {
  const file = conversationFile(teamDir, name);
  if (!fs.existsSync(file)) return { messages: [], deliveredThrough: 0, notes: [] };
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Conversation;
  return { messages: Array.isArray(raw.messages) ? raw.messages : [], deliveredThrough: Number(raw.deliveredThrough) || 0, notes: Array.isArray(raw.notes) ? raw.notes : [] };
}

export function saveConversation(teamDir: string, name: string, c: Conversation): void {
  writeFileAtomic(conversationFile(teamDir, name), JSON.stringify(c) + '\n');
}
