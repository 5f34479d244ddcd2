/**
 * A named pipe as a test's way to know that a command is running right now: the command reads the
 * pipe, and the test's open for writing succeeds only once a reader has it open. The open is
 * non-blocking and polled, so a command that never comes fails the test at a deadline instead of
 * blocking one of libuv's threads (and the suite) for good.
 */
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';

export function makePipe(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}

/** Waits until something reads `fifo`, writes `text` to it and closes it; `whenRead` runs first, while the reader waits. */
export async function answerReader(fifo: string, whenRead: () => void = () => undefined, text = '', deadlineMs = 120_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    let writer: fs.promises.FileHandle;
    try {
      writer = await fs.promises.open(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
      if (Date.now() > end) throw new Error(`nothing read ${fifo} within ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    try {
      whenRead();
      if (text) await writer.write(text);
    } finally {
      await writer.close();
    }
    return;
  }
}
