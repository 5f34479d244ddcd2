/**
 * The team mailbox (T5): `send_message(to, text)` appends to a journal in the run directory
 * (fsync'd before the tool answers, so a message the sender saw as sent survives a crash), and
 * messages are delivered to the recipient at its next turn boundary, in sequence order.
 *
 * What a teammate has received is recorded with its conversation (`deliveredThrough`), not here: a
 * message delivered into a turn that was lost in a crash is delivered again after the resume, so
 * nothing is lost and nothing is seen twice in the conversation the teammate resumes with.
 */
import * as fs from 'node:fs';
import { z } from 'zod';

export const MailSchema = z.object({
  seq: z.number().int().min(1),
  from: z.string(),
  to: z.string(),
  text: z.string(),
  at: z.string(),
});
export type Mail = z.infer<typeof MailSchema>;

export const MAX_MESSAGE_CHARS = 2000;

export class Mailbox {
  private readonly mail: Mail[] = [];
  /** seq numbers counted as delivered at least once (for the report). */
  readonly delivered = new Set<number>();

  constructor(private readonly file: string) {
    if (!fs.existsSync(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    // A line cut short by a crash is closed, so the next record starts on a line of its own.
    if (text.length > 0 && !text.endsWith('\n')) fs.appendFileSync(file, '\n');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const raw = JSON.parse(line) as { delivered?: number };
        if (typeof raw.delivered === 'number') this.delivered.add(raw.delivered);
        else {
          const m = MailSchema.safeParse(raw);
          if (m.success) this.mail.push(m.data);
        }
      } catch {
        // A line cut short by a crash was never acknowledged to its sender: skipping it loses nothing promised.
      }
    }
  }

  private append(record: object): void {
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, JSON.stringify(record) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  send(from: string, to: string, text: string): Mail {
    const m: Mail = { seq: (this.mail.at(-1)?.seq ?? 0) + 1, from, to, text: text.slice(0, MAX_MESSAGE_CHARS), at: new Date().toISOString() };
    this.append(m);
    this.mail.push(m);
    return m;
  }

  /** Messages to `to` after `afterSeq`, in order. */
  pendingFor(to: string, afterSeq: number): Mail[] {
    return this.mail.filter((m) => m.to === to && m.seq > afterSeq);
  }

  markDelivered(m: Mail): void {
    if (this.delivered.has(m.seq)) return;
    this.delivered.add(m.seq);
    this.append({ delivered: m.seq, to: m.to });
  }

  all(): readonly Mail[] {
    return this.mail;
  }
}

export function formatMail(mail: readonly Mail[]): string {
  return `<mailbox>\n${mail.map((m) => `#${m.seq} from ${m.from}: ${m.text}`).join('\n')}\n</mailbox>`;
}
