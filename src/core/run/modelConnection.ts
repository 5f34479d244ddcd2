/**
 * Opening what every kind of run (build, audit, plan, implement) needs before it creates anything:
 * the sandbox its shells run in and a model client checked by the preflight. One place, so a plan run
 * gets the same preflight, the same offline rules and the same cleanup on failure as a build run.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { OfflineModel, OfflineModelStarter } from '../api';
import type { PipelineConfig } from '../config';
import { preflight } from '../preflight';
import { openRunSandbox, type RunSandbox } from '../sandbox/runSandbox';

export interface ModelOptions {
  offline: boolean;
  apiKey?: string;
  baseURL?: string;
  /** Offline: starts the stand-in Messages API (the CLI and the extension inject the built-in scripted model). */
  offlineModel?: OfflineModelStarter;
}

/** The model client of a run (and the offline stand-in it talks to), checked by the preflight. */
export interface ModelConnection {
  client: Anthropic;
  /** Context window per model id, as the Models API reported it. */
  contextWindows: Record<string, number>;
  close(): Promise<void>;
}

export interface RunResources {
  sandbox: RunSandbox;
  model: ModelConnection;
  /** Closes both; safe to call once the run is over or when setting it up failed. */
  close(): Promise<void>;
}

/** Checked before anything is created: offline, someone must have said which stand-in to talk to. */
export function assertModelReachable(opts: ModelOptions): void {
  if (opts.offline && !opts.offlineModel && !opts.baseURL) {
    throw new Error(
      'an offline run needs a model to talk to: pass offlineModel (the CLI and the VS Code extension start the built-in scripted model) or baseURL',
    );
  }
}

/** The API key of a run and of the environment: redacted from every journal line and log. */
/**
 * A run made with the API is not continued by the offline stand-in: it would write the scripted
 * model's demo code into the user's run, and its cost line would mix real and made-up usage.
 * `run` names it for the message (`run <id>`, `run <id> of this plan`).
 */
export function assertResumableOffline(run: string, madeOffline: boolean, offline: boolean | undefined): void {
  if (offline && !madeOffline) {
    throw new Error(`${run} was made with the Anthropic API; it can only be resumed with the API (an API key), not with the offline scripted model`);
  }
}

export function secretsOf(apiKey?: string): string[] {
  return [apiKey, process.env.ANTHROPIC_API_KEY].filter((s): s is string => !!s);
}

/**
 * The sandbox first (where it cannot start, nothing starts unless the user turned it off), then the
 * model with its preflight (a refused key or an unknown model is a setting to fix, not a broken run).
 * On any failure whatever was opened is closed again.
 */
export async function openRunResources(
  config: PipelineConfig,
  opts: ModelOptions,
  where: { repoRoot?: string; runsRoot?: string },
): Promise<RunResources> {
  assertModelReachable(opts);
  const sandbox = await openRunSandbox(config.sandbox, where);
  let model: ModelConnection;
  try {
    model = await connectModel(config, opts);
  } catch (e) {
    await sandbox.close();
    throw e;
  }
  return {
    sandbox,
    model,
    close: async () => {
      await model.close();
      await sandbox.close();
    },
  };
}

export async function connectModel(config: PipelineConfig, opts: ModelOptions): Promise<ModelConnection> {
  let offlineModel: OfflineModel | undefined;
  let baseURL = opts.baseURL;
  if (opts.offline && !baseURL && opts.offlineModel) {
    offlineModel = await opts.offlineModel();
    baseURL = offlineModel.url;
  }
  const client = new Anthropic({
    apiKey: opts.offline ? 'offline-scripted-model' : (opts.apiKey ?? process.env.ANTHROPIC_API_KEY ?? null),
    ...(baseURL ? { baseURL } : {}),
    maxRetries: config.sdkMaxRetries,
  });
  const close = async () => void (await offlineModel?.close());
  try {
    const { contextWindows } = config.skipPreflight ? { contextWindows: {} } : await preflight(client, config);
    return { client, contextWindows, close };
  } catch (e) {
    await close();
    throw e;
  }
}
