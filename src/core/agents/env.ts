/**
 * The environment an agent's shell gets: the engine's own, minus anything that looks like a
 * credential (the Anthropic key above all; database passwords and URLs, signing keys, webhooks, the
 * SSH agent's socket), plus a git identity so the agent's commits carry the
 * agent as author.
 */
const SECRET_NAME =
  /^ANTHROPIC_|API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|_PWD$|_PASS$|CREDENTIAL|PRIVATE_KEY|_KEY$|JWT|_DSN$|WEBHOOK|_AUTH_|_AUTH$|^DATABASE_URL$|^SSH_AUTH_SOCK$|^AWS_|^GH_|^GITHUB_|^NPM_CONFIG__AUTH/i;
/**
 * Start-up files a non-interactive shell would source (bash reads $BASH_ENV, sh reads $ENV): the
 * user's rc files are not the agent's, and inside the sandbox they fail noisily (pyenv's rehash
 * cannot write its shims) and pollute every command's output.
 */
const SHELL_STARTUP = new Set(['BASH_ENV', 'ENV']);

export function agentShellEnv(
  agentName: string,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || SECRET_NAME.test(k) || SHELL_STARTUP.has(k)) continue;
    env[k] = v;
  }
  const email = `${agentName}@agents.build-pipeline.invalid`;
  env.GIT_AUTHOR_NAME = agentName;
  env.GIT_AUTHOR_EMAIL = email;
  env.GIT_COMMITTER_NAME = agentName;
  env.GIT_COMMITTER_EMAIL = email;
  env.GIT_TERMINAL_PROMPT = '0';
  // Keep agents' git from opening editors or pagers that would hang a non-interactive shell.
  env.GIT_EDITOR = 'true';
  env.GIT_PAGER = 'cat';
  env.PAGER = 'cat';
  return env;
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}
