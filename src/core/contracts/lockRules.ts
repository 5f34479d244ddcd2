/**
 * Rules for locks.json (SPEC M12): security decisions must be `critical`, every lock names real
 * modules, every locked decision has its ADR, every interface lock names a real interface.
 */
import type { ContractsContext } from './contractFiles';
import { quoteUntrusted } from './names';
import type { LockEntry, Locks, ModulesManifest } from './schemas';

export const LOCKS_FILE = 'locks.json';
export const SHARED_TYPES_FILE = 'interfaces/shared-types.md';
export const DECISIONS_DIR = 'decisions';

export function interfaceFileFor(moduleName: string): string {
  return `interfaces/${moduleName}.interface.md`;
}

/** Words that mark a lock as a security decision when they appear in its key (substring match). */
const SECURITY_KEY_PARTS = ['security', 'auth', 'crypto', 'secret'];
/**
 * The same idea for the free-text assertion, but on word starts: prose says "author" and
 * "authority" far more often than keys do, and a false positive there would force needless locks.
 */
const SECURITY_ASSERTION_WORDS =
  /\b(?:security|secure|auth|authn|authz|authenticat\w*|authoriz\w*|oauth2?|crypto\w*|cryptograph\w*|secrets?|encrypt\w*|decrypt\w*|password\w*|credential\w*)\b/i;

/** Why this lock counts as a security decision, or null. Over-matching only costs a stricter lock. */
function securityReason(key: string, entry: LockEntry): string | null {
  const lowerKey = key.toLowerCase();
  const part = SECURITY_KEY_PARTS.find((p) => lowerKey.includes(p));
  if (part !== undefined) return `its key contains "${part}"`;
  if (entry.category?.toLowerCase() === 'security') return 'its category is "security"';
  if (entry.locked_by.toLowerCase() === 'security') return 'it was locked by the security domain';
  const word = SECURITY_ASSERTION_WORDS.exec(entry.assertion);
  if (word) return `its assertion mentions ${quoteUntrusted(word[0])}`;
  return null;
}

export function checkLocks(ctx: ContractsContext, locks: Locks, manifest: ModulesManifest | undefined, adrStems: readonly string[]): void {
  const moduleNames = manifest ? new Set(manifest.modules.map((m) => m.name)) : null;
  const sections = [
    ['decisions', locks.decisions],
    ['interfaces', locks.interfaces],
  ] as const;
  for (const [section, entries] of sections) {
    for (const [key, entry] of Object.entries(entries)) {
      const label = `${section}.${quoteUntrusted(key)}`;
      const reason = securityReason(key, entry);
      if (reason !== null && entry.lock_level !== 'critical') {
        ctx.problems.add(LOCKS_FILE, 'locks.security-level', `lock ${label} is a security decision (${reason}) and must be "critical", not "${entry.lock_level}"`, key);
      }
      if (moduleNames) {
        for (const affected of entry.affects) {
          if (!moduleNames.has(affected)) {
            ctx.problems.add(LOCKS_FILE, 'locks.affects-unknown', `lock ${label} affects ${quoteUntrusted(affected)}, which is not a module`, affected);
          }
        }
      }
    }
  }
  const adrs = new Set(adrStems);
  for (const key of Object.keys(locks.decisions)) {
    if (!adrs.has(key)) {
      ctx.problems.add(LOCKS_FILE, 'locks.decision-without-adr', `locked decision ${quoteUntrusted(key)} has no ADR file ${DECISIONS_DIR}/${quoteUntrusted(key)}.md`, key);
    }
  }
  if (manifest) {
    // An interface lock may be keyed by module name or by the interface file path.
    const interfaceKeys = new Set<string>(['shared-types', SHARED_TYPES_FILE]);
    for (const m of manifest.modules) interfaceKeys.add(m.name).add(interfaceFileFor(m.name));
    for (const key of Object.keys(locks.interfaces)) {
      if (!interfaceKeys.has(key)) {
        ctx.problems.add(LOCKS_FILE, 'locks.interface-unknown', `interface lock ${quoteUntrusted(key)} names neither a module, its interface file, nor shared-types`, key);
      }
    }
  }
}
