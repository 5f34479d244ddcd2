/**
 * The scripted scaffold agent (Stage 2): reads modules.json, then writes the skeleton for exactly
 * the modules it lists (falling back to the project the task card names if the manifest cannot be
 * read), and ends with the summary line. The engine commits the result.
 */
import type { ScriptedReply } from '../api-types';
import { lastWriteOf } from '../conversation';
import { planFromManifest } from '../projects/manifest';
import { detectProject, scenarioTarget } from '../projects/plan';
import { scaffoldFiles } from '../projects/scaffold-files';
import { act, call, excerpt, finish } from '../reply';
import { fitInReply, isSafeModuleName, pendingWrites, readResult, workCalls, writeFailures, type RoleContext } from './context';

export function scaffoldTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const calls = workCalls(c, c.userTexts.at(-1)?.messageIndex ?? -1);
  const manifestPath = `${c.card.contractsDir}/modules.json`;
  const manifest = readResult(calls, manifestPath);
  if (manifest === undefined) {
    return act(c, 'First I read the module manifest so the skeleton matches it exactly.', [call('read', { file_path: manifestPath })]);
  }
  const plan = (manifest.ok ? planFromManifest(manifest.text) : undefined) ?? detectProject(c.card.project, ctx.project);
  const unsafe = plan.modules.find((m) => !isSafeModuleName(m.name));
  if (unsafe) return finish(`BLOCKED. modules.json names a module ${JSON.stringify(unsafe.name)} that is not a safe folder name; I will not create it.`);

  const files = scaffoldFiles(plan);
  if (ctx.scenario === 'scaffold-nonconforming') {
    // Forgets one module's folder, round after round, whatever the engine's feedback says.
    const skipped = scenarioTarget(plan, ctx.target);
    for (const p of [...files.keys()]) if (p.startsWith(`src/${skipped}/`)) files.delete(p);
  }
  const pending = pendingWrites(calls, files.keys());
  if (pending.length === 0) return finish(`Done. Scaffolded ${plan.modules.length} modules.`);
  const stuck = pending.find((p) => writeFailures(calls, p) >= 2);
  if (stuck !== undefined) return finish(`BLOCKED. I could not write ${stuck}: ${excerpt(lastWriteOf(calls, stuck)?.result?.text ?? '', 300)}`);

  const says = manifest.ok
    ? `The manifest lists ${plan.modules.length} modules; writing the package manifest, shared types, one stub per module and the README.`
    : `modules.json could not be read (${excerpt(manifest.text, 200)}); scaffolding the modules of ${plan.name} as the task card names it.`;
  const retry = pending.some((p) => writeFailures(calls, p) > 0);
  const batch = fitInReply(pending, (p) => files.get(p) ?? '', ctx.maxTokens);
  return act(c, retry ? 'Some writes failed; retrying them.' : says, batch.map((p) => call('write', { file_path: p, content: files.get(p) ?? '' })));
}
