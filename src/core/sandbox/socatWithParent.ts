/**
 * On Linux the sandbox runtime bridges each sandbox's network to its proxies through `socat`
 * processes it starts on the host, and stops them when the engine exits or gets SIGINT or SIGTERM.
 * An engine that is SIGKILLed (the OOM killer, `kill -9`, a crashed extension host) left them
 * running for good, each listening on a socket in /tmp. The runtime takes the path of the socat it
 * runs (`socatPath`); given this small wrapper, each bridge starts with a parent-death signal
 * (util-linux's `setpriv --pdeathsig`, SIGTERM, on which socat also removes its socket file) and
 * ends with the process that started it.
 *
 * The runtime runs the same path inside the sandbox for its in-sandbox relays, where the signal is
 * just as right: a relay ends with the shell that started it. Where `setpriv` is missing the runtime
 * keeps its own `socat`, and the bridges behave as before.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellQuote } from './shellQuote';

/** How the wrapper's file name starts (the rest is a hash of its text). */
export const SOCAT_WRAPPER_PREFIX = 'socat-with-parent-';

/** The first executable `name` on `searchPath`, as an absolute path. */
export function findOnPath(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The wrapper's text: both programs by absolute path, so it runs the same inside the sandbox (which binds the host's /usr read-only). */
export function socatWrapperScript(setpriv: string, socat: string): string {
  return `#!/bin/sh\n# socat that ends with the process that started it (Build Pipeline, see socatWithParent.ts)\nexec ${shellQuote(setpriv)} --pdeathsig TERM -- ${shellQuote(socat)} "$@"\n`;
}

const pdeathsigKnown = new Map<string, boolean>();

/** Whether this `setpriv` has `--pdeathsig` (util-linux 2.33 on; RHEL 8's 2.32 lacks it, and every bridge would fail to start). Asked once per program. */
function hasPdeathsig(setpriv: string): boolean {
  let known = pdeathsigKnown.get(setpriv);
  if (known === undefined) {
    const run = spawnSync(setpriv, ['--pdeathsig', 'TERM', '--', '/bin/true'], { stdio: 'ignore', timeout: 5_000 });
    known = run.status === 0;
    pdeathsigKnown.set(setpriv, known);
  }
  return known;
}

/**
 * The wrapper's path, written (once per content) into a folder of the user's own under the temp
 * folder; undefined where it cannot be: not Linux, no `setpriv` (or one without `--pdeathsig`) or
 * `socat`, or no such folder.
 *
 * The file is named by its content, so engines that found different programs (a CLI under another
 * PATH than VS Code's) never overwrite each other's, and the name is the same every time it is asked
 * for: the runtime keeps the path it was given, and checks it again before the next run
 * (availability.ts asks for the wrapper first, which writes it again if a temp cleaner removed it).
 */
export function socatDyingWithParent(opts: { platform?: NodeJS.Platform; searchPath?: string; dir?: string } = {}): string | undefined {
  if ((opts.platform ?? process.platform) !== 'linux') return undefined;
  const searchPath = opts.searchPath ?? process.env.PATH;
  const setpriv = findOnPath('setpriv', searchPath);
  const socat = findOnPath('socat', searchPath);
  if (!setpriv || !socat || !hasPdeathsig(setpriv)) return undefined;
  const dir = opts.dir ?? path.join(os.tmpdir(), `build-pipeline-${process.getuid?.() ?? 'user'}`);
  const text = socatWrapperScript(setpriv, socat);
  const file = path.join(dir, `${SOCAT_WRAPPER_PREFIX}${createHash('sha256').update(text).digest('hex').slice(0, 12)}`);
  try {
    if (!ownPrivateFolder(dir)) return undefined;
    if (readIfFile(file) === text && (fs.statSync(file).mode & 0o111) !== 0) return file;
    // Written aside and renamed: another engine starting at the same moment never runs half a script.
    const aside = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(aside, text, { mode: 0o755 });
    fs.renameSync(aside, file);
    return file;
  } catch {
    return undefined;
  }
}

/**
 * `dir` made if missing, and only taken if it is a real folder of this user's that nobody else can
 * write: the temp folder is shared, and another user's folder of that name could hold a script of
 * theirs that the engine would then run.
 */
function ownPrivateFolder(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

function readIfFile(file: string): string | undefined {
  try {
    return fs.lstatSync(file).isFile() ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
