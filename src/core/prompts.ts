/**
 * Prompt templates live in `prompts/<role>.md`, one file per role, each split into a `system` section
 * (the role prompt plus the contract text shared by every agent: one cached prefix), an optional
 * `slice` section (this agent's part of the contracts, a second system block after that prefix) and
 * a `task` section (this agent's task card).
 * Placeholders are `{{name}}`. Rendering is strict: a placeholder without a value, or a value for a
 * placeholder the template does not have, is an error, never a silently empty string.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class PromptError extends Error {
  constructor(
    readonly reason: 'missingPlaceholder' | 'unknownPlaceholder' | 'badTemplate' | 'notFound',
    message: string,
  ) {
    super(message);
    this.name = 'PromptError';
  }
  static is(e: unknown, reason?: PromptError['reason']): e is PromptError {
    return e instanceof PromptError && (reason === undefined || e.reason === reason);
  }
}

export interface PromptTemplate {
  role: string;
  system: string;
  slice?: string;
  task: string;
}

export interface RenderedPrompt {
  system: string;
  slice?: string;
  task: string;
}

const PLACEHOLDER = /\{\{([a-z_][a-z0-9_]*)\}\}/g;
const SECTION = /^<!-- section: (system|slice|task) -->$/m;

export function placeholdersOf(text: string): Set<string> {
  return new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!));
}

export function renderText(text: string, vars: Readonly<Record<string, string | number | undefined>>, where: string): string {
  const missing = [...placeholdersOf(text)].filter((name) => vars[name] === undefined || vars[name] === null);
  if (missing.length > 0) {
    throw new PromptError('missingPlaceholder', `${where}: no value for ${missing.map((m) => `{{${m}}}`).join(', ')}`);
  }
  return text.replace(PLACEHOLDER, (_, name: string) => String(vars[name]));
}

export function parseTemplate(role: string, source: string): PromptTemplate {
  const parts = source.split(SECTION);
  // split with a capture group: ['', 'system', body, 'slice', body, 'task', body]
  const names = parts.filter((_, i) => i % 2 === 1);
  const sections = new Map<string, string>();
  for (let i = 1; i + 1 < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!.trim() + '\n');
  const system = sections.get('system');
  const slice = sections.get('slice');
  const task = sections.get('task');
  const inOrder = names.join(',') === (slice === undefined ? 'system,task' : 'system,slice,task');
  if (!system || !task || slice === '\n' || !inOrder || parts[0]!.trim() !== '') {
    throw new PromptError('badTemplate', `prompts/${role}.md must consist of a "system", an optional "slice" and a "task" section, in that order`);
  }
  return { role, system, ...(slice !== undefined ? { slice } : {}), task };
}

/** Renders every section; every supplied variable must be used by one of them. */
export function renderPrompt(template: PromptTemplate, vars: Readonly<Record<string, string | number | undefined>>): RenderedPrompt {
  const used = new Set([...placeholdersOf(template.system), ...placeholdersOf(template.slice ?? ''), ...placeholdersOf(template.task)]);
  const unknown = Object.keys(vars).filter((k) => !used.has(k));
  if (unknown.length > 0) {
    throw new PromptError(
      'unknownPlaceholder',
      `prompts/${template.role}.md has no placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')}`,
    );
  }
  return {
    system: renderText(template.system, vars, `prompts/${template.role}.md (system)`),
    ...(template.slice !== undefined ? { slice: renderText(template.slice, vars, `prompts/${template.role}.md (slice)`) } : {}),
    task: renderText(template.task, vars, `prompts/${template.role}.md (task)`),
  };
}

let cachedDir: string | undefined;

/** Finds the `prompts/` folder shipped beside the bundle (dist/), the compiled tests (out/) or the sources. */
export function promptsDir(): string {
  if (cachedDir) return cachedDir;
  const override = process.env.BUILD_PIPELINE_PROMPTS_DIR;
  if (override) return (cachedDir = override);
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'prompts');
    if (fs.existsSync(path.join(candidate, 'builder.md'))) return (cachedDir = candidate);
    dir = path.dirname(dir);
  }
  throw new PromptError('notFound', `prompts/ folder not found above ${__dirname}`);
}

const templates = new Map<string, PromptTemplate>();

export function loadTemplate(role: string): PromptTemplate {
  const hit = templates.get(role);
  if (hit) return hit;
  const file = path.join(promptsDir(), `${role}.md`);
  if (!fs.existsSync(file)) throw new PromptError('notFound', `no prompt template ${file}`);
  const template = parseTemplate(role, fs.readFileSync(file, 'utf8'));
  templates.set(role, template);
  return template;
}
