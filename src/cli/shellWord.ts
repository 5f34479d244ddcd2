/**
 * Paths in the command lines the CLI prints for the user to paste (resume, implement, the demo's
 * test line): as they are when nothing in them needs quoting, else single-quoted for bash. JSON
 * quoting, used before, left `$`, backticks and `\` live in a pasted line.
 */
import { shellQuote } from '../core/sandbox/shellQuote';

export function shellWord(s: string): string {
  return /^[\w./+@%:-]+$/.test(s) ? s : shellQuote(s);
}
