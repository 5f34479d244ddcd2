/**
 * The `sandbox` key of `.build-pipeline.json` (and the `buildPipeline.sandbox.*` settings): whether
 * agents' shells run in the sandbox runtime, and which hosts they may reach. Both come from the user,
 * never from the model; the domain grammar is the sandbox runtime's (`host`, `*.host`, `host:port`,
 * an IP literal, `[v6]:port`), checked here so a typo fails before the run starts.
 */
import { z } from 'zod';

const HOST = /^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*(?::\d{1,5})?$/;
const V6 = /^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

export const AllowedDomainSchema = z
  .string()
  .max(253)
  .refine((d) => HOST.test(d) || V6.test(d), { message: 'not a host pattern (host, *.host, host:port, an IP, [v6]:port)' });

export const SandboxConfigSchema = z.object({
  /** Off only by the user's choice: every view and the CLI summary then say the shells are unsandboxed. */
  enabled: z.boolean().default(true),
  /** Hosts agents' shells (and stdio MCP servers) may reach through the sandbox's proxy; empty = no network. */
  allowedDomains: z.array(AllowedDomainSchema).max(500).default([]),
});
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>;

/** Said where the install step will need the network (the blueprint gate). One line, on purpose. */
export function networkNote(cfg: SandboxConfig): string {
  if (!cfg.enabled) return 'Shells are NOT sandboxed (sandbox.enabled is false): agents can reach the network and write as your user.';
  return cfg.allowedDomains.length
    ? `Shell network is limited to: ${cfg.allowedDomains.join(', ')}. An install step needs its package registry among them.`
    : 'Shell network is off (sandbox.allowedDomains is empty): an install step that needs the package registry must have it allow-listed.';
}
