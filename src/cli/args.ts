/** A small, strict argument parser: unknown flags are usage errors (exit 2), never ignored. */
export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, 'bool' | 'value'>): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const kind = spec[name];
      if (!kind) throw new UsageError(`unknown option --${name}`);
      if (kind === 'bool') {
        if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
        flags.set(name, true);
      } else {
        const v = inline ?? argv[++i];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
        flags.set(name, v);
      }
    } else if (/^-[A-Za-z]/.test(a)) {
      // `-y` read as a word would start a run whose description ends in "-y", without --yes.
      throw new UsageError(`unknown option ${a}: options are written out in full (--yes, --cwd DIR, …); a description that starts with "-" goes after --`);
    } else {
      positionals.push(a);
    }
  }
  return { command: positionals.shift(), positionals, flags };
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

export function strFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
