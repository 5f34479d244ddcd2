/**
 * Reading the architect's files safely: a model wrote them, so a "file" may be a symlink out of the
 * contracts directory, a FIFO, a gigabyte, or binary. Every refusal becomes a problem, never a throw.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ProblemList } from './problems';

/** Contracts are prose and small JSON; anything bigger is a runaway model or an attack. */
export const CONTRACT_FILE_MAX_BYTES = 1024 * 1024;

export interface ContractsContext {
  /** Real path of the contracts directory; every file read must resolve inside it. */
  root: string;
  problems: ProblemList;
}

export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads a contract file as UTF-8 text, refusing (with a problem) anything missing, outside the
 * contracts directory after following symlinks, not a regular file, larger than the cap, or binary.
 * Returns null when the file cannot be used; the caller then skips the rules that need it.
 */
export async function readContractFile(ctx: ContractsContext, rel: string): Promise<string | null> {
  const full = path.join(ctx.root, ...rel.split('/'));
  try {
    await fs.lstat(full);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') ctx.problems.add(rel, 'file.missing', `${rel} is missing`);
    else ctx.problems.add(rel, 'file.unreadable', `${rel} cannot be read: ${errorText(error)}`);
    return null;
  }
  let real: string;
  try {
    real = await fs.realpath(full);
  } catch {
    ctx.problems.add(rel, 'file.unreadable', `${rel} is a symlink whose target does not exist`);
    return null;
  }
  if (!isInside(ctx.root, real)) {
    ctx.problems.add(rel, 'file.outside', `${rel} resolves outside the contracts directory; contracts must be plain files`);
    return null;
  }
  let bytes: Buffer;
  try {
    // O_NONBLOCK: opening a FIFO planted under this name must not hang the validator.
    const handle = await fs.open(real, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        ctx.problems.add(rel, 'file.not-regular', `${rel} is not a regular file`);
        return null;
      }
      // Read one byte past the cap so a file that grew after stat() is still caught.
      const buffer = Buffer.alloc(Math.min(stat.size, CONTRACT_FILE_MAX_BYTES) + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > CONTRACT_FILE_MAX_BYTES) {
        ctx.problems.add(rel, 'file.too-large', `${rel} is larger than ${CONTRACT_FILE_MAX_BYTES} bytes`);
        return null;
      }
      bytes = buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    ctx.problems.add(rel, 'file.unreadable', `${rel} cannot be read: ${errorText(error)}`);
    return null;
  }
  if (bytes.includes(0)) {
    ctx.problems.add(rel, 'file.binary', `${rel} contains NUL bytes; contracts must be text`);
    return null;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    ctx.problems.add(rel, 'file.binary', `${rel} is not valid UTF-8 text`);
    return null;
  }
}

/** Names in a contracts subdirectory, or null (with a problem) when it cannot be listed safely. */
export async function listContractDir(ctx: ContractsContext, rel: string): Promise<string[] | null> {
  const full = path.join(ctx.root, rel);
  try {
    const real = await fs.realpath(full);
    if (!isInside(ctx.root, real)) {
      ctx.problems.add(rel, 'file.outside', `${rel}/ resolves outside the contracts directory`);
      return null;
    }
    if (!(await fs.stat(real)).isDirectory()) {
      ctx.problems.add(rel, 'file.not-regular', `${rel} is not a directory`);
      return null;
    }
    return (await fs.readdir(real)).sort();
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') ctx.problems.add(rel, 'file.missing', `${rel}/ is missing`);
    else ctx.problems.add(rel, 'file.unreadable', `${rel}/ cannot be listed: ${errorText(error)}`);
    return null;
  }
}
