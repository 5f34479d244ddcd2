/**
 * An install that failed because the sandbox kept it off the network says so in package-manager
 * words (npm's E403 from the proxy, ECONNREFUSED, pip's "Failed to establish a new connection",
 * curl's "Could not resolve host"). Neither an agent nor another round can fix that: only the user
 * can, by allow-listing the registry. This turns such an output into the sentence that tells them
 * which setting to change and which hosts the command tried to reach.
 */

/** What package managers and HTTP clients print when the proxy refuses them or there is no route. */
const NETWORK_FAILURE =
  /\bE403\b|403 Forbidden|tunneling socket could not be established|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|ETIMEDOUT|ECONNRESET|getaddrinfo|Could not resolve host|Temporary failure in name resolution|Name or service not known|Network is unreachable|Failed to establish a new connection|ProxyError|Max retries exceeded|blocked-by-sandbox|network request to .* failed/i;

/** The public registries of the usual installers, for when neither command nor output names a host. */
const DEFAULT_REGISTRIES: readonly { tool: RegExp; hosts: string[] }[] = [
  { tool: /\b(npm|npx|pnpm)\b/, hosts: ['registry.npmjs.org'] },
  { tool: /\byarn\b/, hosts: ['registry.yarnpkg.com', 'registry.npmjs.org'] },
  { tool: /\b(pip3?|uv|poetry|pipenv)\b|-m pip\b/, hosts: ['pypi.org', 'files.pythonhosted.org'] },
  { tool: /\bcargo\b/, hosts: ['index.crates.io', 'static.crates.io'] },
  { tool: /\bgo (mod|get|build|test)\b/, hosts: ['proxy.golang.org', 'sum.golang.org'] },
];

/** `host[:port]` of every http(s) URL in `text`, in order, without duplicates. */
function urlHosts(text: string): string[] {
  const hosts = new Set<string>();
  for (const m of text.matchAll(/\bhttps?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?/g)) hosts.add(`${m[1]}${m[2] ?? ''}`);
  return [...hosts];
}

/** Whether the allow-list lets `host[:port]` through (the runtime's rules: `*.d` is subdomains only, a pattern without a port allows every port). */
export function isAllowed(hostPort: string, allowedDomains: readonly string[]): boolean {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(hostPort.toLowerCase())!;
  const [host, port] = [m[1]!, m[2]];
  return allowedDomains.some((raw) => {
    const p = /^(.*?)(?::(\d{1,5}))?$/.exec(raw.toLowerCase())!;
    if (p[2] !== undefined && p[2] !== port) return false;
    return p[1]!.startsWith('*.') ? host.endsWith(p[1]!.slice(1)) : host === p[1];
  });
}

export interface NetworkPolicy {
  enabled: boolean;
  allowedDomains: readonly string[];
}

/**
 * The hint for a failed `command` whose output looks like the sandbox's network refusal, or undefined
 * when the sandbox is off or the failure is something else (a missing package, a compile error).
 */
export function networkRefusalHint(command: string, output: string, sandbox: NetworkPolicy): string | undefined {
  if (!sandbox.enabled || !NETWORK_FAILURE.test(output)) return undefined;
  const named = urlHosts(`${command}\n${output}`).filter((h) => !/^(localhost|127\.0\.0\.1)(:\d+)?$/.test(h) || command.includes(h));
  const candidates = named.length ? named : (DEFAULT_REGISTRIES.find((r) => r.tool.test(command))?.hosts ?? []);
  const hosts = candidates.filter((h) => !isAllowed(h, sandbox.allowedDomains));
  const loopback = candidates.find((h) => /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(h));
  if (hosts.length === 0 && loopback && /ECONNREFUSED|Connection refused/i.test(output)) {
    // Allowed, yet refused: the runtime puts loopback in NO_PROXY, so the client dialled the
    // sandbox's own empty network instead of going through the proxy to the host's loopback.
    return (
      `The install could not reach ${loopback}, although sandbox.allowedDomains allows it: inside the sandbox NO_PROXY lists loopback ` +
      'addresses, so clients bypass the proxy that leads to your machine. Start the install command with `NO_PROXY= no_proxy=` for a registry on loopback.'
    );
  }
  // Every host it tried is allowed: the network itself failed, not the sandbox.
  if (candidates.length > 0 && hosts.length === 0) return undefined;
  const now = sandbox.allowedDomains.length ? `it allows only ${sandbox.allowedDomains.join(', ')}` : 'it allows none';
  const add = hosts.length ? `add ${hosts.join(', ')} to sandbox.allowedDomains` : 'add the package registry to sandbox.allowedDomains';
  return (
    `The install could not reach the network: shells run in the sandbox, whose network is limited to sandbox.allowedDomains (${now}). ` +
    `To install, ${add} (in .build-pipeline.json, or the buildPipeline.sandbox.allowedDomains setting in VS Code) and resume the run.`
  );
}
