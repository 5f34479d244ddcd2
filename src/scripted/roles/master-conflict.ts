/**
 * The scripted master evaluating a contract conflict (`task: evaluate-conflict`): it reads the
 * module's interface and the manifest, searches memory for the issue, then submits a resolution.
 * Under `contract-conflict` it flexes the contract (the interface gains an amendment carrying the
 * builder's proposed change, the module and its dependencies are named as affected); under
 * `contract-conflict-adapt` it keeps the contract and tells the builder how to honour it. Under
 * `contract-conflict-recheck` it flexes the contract and also adds `lengthUnit()` to the Public API of
 * every module the conflicted one depends on (the measure becomes part of their contract). A refused
 * submission is corrected once from the refusal (unknown names dropped).
 */
import type { ScriptedReply } from '../api-types';
import { allUserText } from '../conversation';
import { planFromManifest } from '../projects/manifest';
import { act, call, excerpt, finish } from '../reply';
import { taggedBlock } from '../task-card';
import { readResult, type RoleContext } from './context';

function proposal(report: string): string {
  const m = /## Proposed change\s*\n([\s\S]*?)(\n## |$)/.exec(report);
  return (m?.[1] ?? '').trim() || 'Clarify the contract as the builder proposes.';
}

export function evaluateConflictTurn(ctx: RoleContext): ScriptedReply {
  const { c } = ctx;
  const module = c.card.module ?? '';
  const issue = c.card.fields['conflict_issue'] ?? 'contract';
  const ifacePath = `${c.card.contractsDir}/interfaces/${module}.interface.md`;
  const manifestPath = `${c.card.contractsDir}/modules.json`;
  const since = c.userTexts.at(-1)?.messageIndex ?? -1;
  const calls = c.calls.filter((x) => x.messageIndex > (c.userTexts[0]?.messageIndex ?? -1));
  const iface = readResult(calls, ifacePath);
  const manifest = readResult(calls, manifestPath);
  if (!iface || !manifest) {
    const search = c.tools.has('memory_search') ? [call('memory_search', { query: `${module} ${issue.replace(/-/g, ' ')}`, limit: 3 })] : [];
    return act(c, `Reading the ${module} contract and the manifest, and looking for earlier decisions about ${issue}.`, [
      call('read', { file_path: ifacePath }),
      call('read', { file_path: manifestPath }),
      ...search,
    ]);
  }
  const recheck = ctx.scenario === 'contract-conflict-recheck';
  const depsOf = manifest.ok ? (planFromManifest(manifest.text)?.modules.find((m) => m.name === module)?.dependsOn ?? []) : [];
  const depPaths = recheck ? depsOf.map((d) => `${c.card.contractsDir}/interfaces/${d}.interface.md`) : [];
  const unread = depPaths.filter((p) => !readResult(calls, p));
  if (unread.length) return act(c, `The measure concerns the modules ${module} uses too; reading their interfaces.`, unread.map((p) => call('read', { file_path: p })));
  const submits = c.calls.filter((x) => x.name === 'submit_resolution' && x.messageIndex > since);
  const accepted = submits.find((x) => x.result && !x.result.isError);
  const adapt = ctx.scenario === 'contract-conflict-adapt';
  if (accepted) return finish(`Resolution: ${adapt ? 'adapt-builder' : 'flex-contract'}. ${module} ${adapt ? 'keeps its contract' : 'gets an amended contract'}.`);
  if (submits.length >= 2) return finish(`BLOCKED. My resolution was refused twice: ${excerpt(submits.at(-1)?.result?.text ?? '', 300)}`);

  const report = taggedBlock(allUserText(c), 'conflict-report') ?? '';
  const plan = manifest.ok ? planFromManifest(manifest.text) : undefined;
  const deps = plan?.modules.find((m) => m.name === module)?.dependsOn ?? [];
  const refusal = submits.at(-1)?.result?.text ?? '';
  // After a refusal naming modules that do not exist, only the conflicted module is named.
  const affected = refusal.includes('is not in modules.json') ? [module] : [module, ...deps];
  const feedback = taggedBlock(allUserText(c), 'human-feedback');
  const rationale =
    (adapt
      ? `The contract of ${module} is consistent with the rest of the project; changing the measure now would ripple into the documented errors. The builder can honour it as written.`
      : `The builder of ${module} is right: ${excerpt(proposal(report), 600)} The change is local to ${module} and keeps every locked decision intact.`) +
    (feedback ? ` The human asked: ${excerpt(feedback, 300)}` : '');
  const contract_changes = adapt || !iface.ok
    ? []
    : [{ change: { kind: 'interface', key: module, text: `${iface.text.trimEnd()}\n\n## Amendment (conflict ${issue})\n${proposal(report)}\n` }, reason: `the builder cannot honour it as written (${issue})` }];
  if (!adapt) {
    for (const dep of recheck ? deps : []) {
      const doc = readResult(calls, `${c.card.contractsDir}/interfaces/${dep}.interface.md`);
      if (!doc?.ok || !/## Public API\n```\w*\n/.test(doc.text)) continue;
      const text = doc.text.replace(/## Public API\n```\w*\n/, (head) => `${head}lengthUnit() -> string   # the unit lengths are measured in: "code points"\n`);
      contract_changes.push({ change: { kind: 'interface', key: dep, text: `${text.trimEnd()}\n\n## Amendment (conflict ${issue})\n${dep} states the unit it measures lengths in through lengthUnit(), which returns "code points".\n` }, reason: `${module} and ${dep} must agree on the length unit (${issue})` });
    }
  }
  return act(c, adapt ? 'The contract stands; the builder adapts.' : 'The contract should flex; submitting the change.', [
    call('submit_resolution', {
      recommendation: adapt ? 'adapt-builder' : 'flex-contract',
      rationale,
      affected_modules: affected,
      affected_locks: [],
      contract_changes,
      builder_instructions: adapt
        ? `Implement ${module} exactly as its interface states today; where the report found a gap, follow the interface's wording and note the limitation under Known Issues in your brain file.`
        : `Implement ${module} against the amended interface (see its Amendment section).`,
      adr: {
        topic: `conflict-${module}-${issue}`.slice(0, 60).replace(/-+$/, ''),
        title: `Resolution of the ${module} contract conflict (${issue})`,
        decision: adapt ? `${module} keeps its contract; its builder adapts.` : `The ${module} interface is amended: ${excerpt(proposal(report), 800)}`,
      },
    }),
  ]);
}
