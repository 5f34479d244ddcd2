/**
 * Training pairs the scripted training-data agent writes (Stage 1b): built from the project plan and
 * the decisions in locks.json, across the 7 taxonomy types near their target shares, each answer
 * plain text naming modules, functions and ADRs. `badPairs` are one pair breaking each quality rule.
 */
import { documentedErrors, publicFunctions } from './interfaces';
import type { ModulePlan, ProjectPlan } from './plan';

export type PairType = 'factual_recall' | 'architectural_reasoning' | 'cross_module' | 'conformance_validation' | 'state_status' | 'counterfactual' | 'procedural';

export interface Decision {
  key: string;
  assertion: string;
  level: string;
}

interface Draft {
  type: PairType;
  q: string;
  a: string;
  refs: string[];
  modules: string[];
  hops: number;
}

/** Pairs per type for a file of `total` pairs: the lower bound of each target share, rounded up. */
export const SHARE_LOW: Record<PairType, number> = {
  factual_recall: 0.25,
  architectural_reasoning: 0.15,
  cross_module: 0.15,
  conformance_validation: 0.1,
  state_status: 0.1,
  counterfactual: 0.05,
  procedural: 0.05,
};

function other(plan: ProjectPlan, m: ModulePlan): ModulePlan {
  return plan.modules.find((x) => x.name !== m.name) ?? m;
}

function drafts(plan: ProjectPlan, decisions: Decision[]): Draft[] {
  const out: Draft[] = [];
  const iface = (m: ModulePlan) => `contracts/interfaces/${m.name}.interface.md`;
  for (const m of plan.modules) {
    const fns = publicFunctions(m).join(' and ');
    const deps = m.dependsOn.length ? m.dependsOn.join(' and ') : 'no other module';
    const o = other(plan, m);
    const errs = documentedErrors(m);
    const f = (q: string, a: string, hops = 1, refs = [iface(m)], mods = [m.name]) => out.push({ type: 'factual_recall', q, a, refs, modules: mods, hops });
    f(`What is the responsibility of the ${m.name} module?`, `The ${m.name} module is responsible for this: ${m.description}. It exports ${fns} from src/${m.name}/index.js.`);
    f(`Which functions does ${m.name} export?`, `The ${m.name} module exports ${fns}; nothing else is public, and every exported function validates its inputs first as ADR-002 requires.`);
    f(`What does ${m.name} depend on?`, `The ${m.name} module depends on ${deps}, as modules.json declares; it is built after its dependencies have passed QC.`);
    f(`Where does the code of ${m.name} live and how is it tested?`, `The ${m.name} module lives in src/${m.name}/index.js with its tests in src/${m.name}/index.test.js, run with node --test as ADR-001 decides.`);
    f(`Which model tier builds ${m.name}, and how complex is it judged?`, `The ${m.name} module is built by a ${m.builderModel} builder and its complexity is rated ${m.complexity} in modules.json; QC uses the sonnet tier for it.`);
    for (const e of errs.slice(0, 3)) {
      f(`Which error does ${e.thrownBy} in ${m.name} raise for this input: ${e.when.replace(/`/g, '')}?`, `The ${e.thrownBy} function of ${m.name} throws a ${e.type} with the message "${e.message}" when ${e.when.replace(/`/g, '')}.`);
    }
    const r = (q: string, a: string) => out.push({ type: 'architectural_reasoning', q, a, refs: ['contracts/architecture.md', iface(m)], modules: [m.name], hops: 2 });
    r(`Why is ${m.name} a module of its own rather than part of ${o.name}?`, `The ${m.name} module has one responsibility (${m.description}) and its own interface, so its builder can work in parallel with the ${o.name} builder and QC can grade it alone; the tradeoff is one more merge in assembly.`);
    r(`Why does ${m.name} throw errors instead of returning error values?`, `ADR-002 chose thrown TypeError and RangeError with exact messages for ${m.name} because error values are easy to ignore; the cost is that every caller of ${fns} must handle exceptions.`);
    r(`What tradeoff did the project accept by testing ${m.name} with node:test?`, `ADR-001 keeps ${m.name} on CommonJS with node:test so no dependency has to be installed before its tests run; the tradeoff is fewer test conveniences than Jest or Mocha would give the ${m.name} builder.`);
    const c = (q: string, a: string) => out.push({ type: 'cross_module', q, a, refs: ['contracts/modules.json', iface(m), iface(o)], modules: [m.name, o.name], hops: 2 });
    c(`If the interface of ${m.name} changes, which other modules must be checked?`, `A change to the ${m.name} interface affects every module that depends on ${m.name}; ${plan.modules.filter((x) => x.dependsOn.includes(m.name)).map((x) => x.name).join(' and ') || 'no module depends on it today'}, and its own dependency ${deps} stays untouched.`);
    c(`How do ${m.name} and ${o.name} work together in this project?`, `The ${m.name} module ${m.dependsOn.includes(o.name) ? `calls ${o.name}` : `does not call ${o.name} directly`}; assembly merges ${plan.buildOrder.join(' then ')} in that order and runs the integration tests after each merge.`);
    c(`In which order are ${m.name} and ${o.name} assembled, and why?`, `The assembly order puts ${plan.buildOrder.join(' before ')} because dependencies are merged first; ${m.name} is merged at position ${plan.buildOrder.indexOf(m.name) + 1} of ${plan.buildOrder.length}.`);
    const v = (q: string, a: string) => out.push({ type: 'conformance_validation', q, a, refs: [iface(m), 'contracts/locks.json'], modules: [m.name], hops: 1 });
    v(`Would returning null from ${m.name} on bad input be a valid change?`, `No: ADR-002, a critical decision, requires ${m.name} to throw the documented TypeError or RangeError with the exact message; returning null would be a MAJOR QC finding against the ${m.name} contract.`);
    v(`Could ${m.name} read a configuration file from disk?`, `No: the architecture forbids file system and network access in every module, ${m.name} included, and ADR-002 forbids secrets in code; ${m.name} takes everything it needs as arguments.`);
    v(`May the ${m.name} builder add a new exported helper to ${m.name}?`, `No: the ${m.name} contract lists exactly ${fns} as public API, and an undocumented public API is a QC finding; internal helpers are fine if they are not exported from src/${m.name}/index.js.`);
    c(`Which shared types do ${m.name} and ${o.name} have in common?`, `Both ${m.name} and ${o.name} read their option types from shared-types.md, implemented in src/shared/types.js; a change there must be checked against ${m.name} and ${o.name} together.`);
    const s = (q: string, a: string) => out.push({ type: 'state_status', q, a, refs: ['contracts/modules.json'], modules: [m.name], hops: 1 });
    s(`What is the current state of the ${m.name} module?`, `As of the blueprint, ${m.name} has an approved interface contract and is waiting for its builder; it will be built on branch orchestration/<run>/${m.name} and graded by QC before assembly.`);
    s(`Has ${m.name} been assembled yet?`, `Not yet: at the blueprint stage ${m.name} exists only as its interface contract; it is merged into the integration branch after its builder finishes and QC passes it.`);
    s(`What will QC check first when ${m.name} is built?`, `QC will first run the ${m.name} tests with node --test on src/${m.name}, then compare ${fns} against the ${m.name} interface and check every documented error message.`);
    const k = (q: string, a: string) => out.push({ type: 'counterfactual', q, a, refs: ['contracts/decisions', iface(m)], modules: [m.name], hops: 2 });
    k(`What would break if ${m.name} switched to ES modules?`, `Switching ${m.name} to ES modules would break ADR-001: the require calls of modules depending on ${m.name} would fail to load it, and the node --test runs of those modules would go red at assembly.`);
    k(`What breaks if the error messages of ${m.name} are reworded?`, `Rewording the ${m.name} error messages breaks the ${m.name} contract: callers and tests match the exact text, so QC would report a MAJOR finding and the tests in src/${m.name}/index.test.js would fail.`);
    const p = (q: string, a: string) => out.push({ type: 'procedural', q, a, refs: [iface(m)], modules: [m.name], hops: 1 });
    p(`How do I run the tests of ${m.name} on my machine?`, `1. Check out the integration branch. 2. Run node --test src/${m.name}/*.test.js for ${m.name} alone. 3. Run node --test at the root for the integration tests that include ${m.name}.`);
    p(`How do I add a new documented error to ${m.name}?`, `1. Add the error to the Errors section of the ${m.name} interface through a contract change. 2. Throw it from ${fns} with the exact message. 3. Add a test in src/${m.name}/index.test.js. 4. Run node --test on src/${m.name}.`);
  }
  for (const d of decisions) {
    out.push({ type: 'architectural_reasoning', q: `What does decision ${d.key} establish, and at which lock level?`, a: `Decision ${d.key} is ${d.level}: ${d.assertion} Changing it needs ${d.level === 'critical' ? 'the human' : 'its locking domain, the master or the human'}.`, refs: ['contracts/locks.json', `contracts/decisions/${d.key}.md`], modules: plan.modules.map((m) => m.name), hops: 1 });
    out.push({ type: 'counterfactual', q: `If ${d.key} were reversed, what would each module have to change?`, a: `Reversing ${d.key} (${d.assertion}) would touch ${plan.modules.map((m) => m.name).join(' and ')}: each builder would rework its module and QC would grade them again against the changed contract.`, refs: [`contracts/decisions/${d.key}.md`], modules: plan.modules.map((m) => m.name), hops: 3 });
    out.push({ type: 'conformance_validation', q: `Is a builder allowed to design around ${d.key}?`, a: `No: ${d.key} is ${d.level} and binds ${plan.modules.map((m) => m.name).join(' and ')}; builders comply with its assertion (${d.assertion}) and report a contract conflict instead of working around it.`, refs: ['contracts/locks.json'], modules: plan.modules.map((m) => m.name), hops: 1 });
    out.push({ type: 'procedural', q: `How is decision ${d.key} changed in this project?`, a: `1. A builder that cannot honour ${d.key} reports a contract conflict. 2. The master proposes a change. 3. The human approves at the conflict gate. 4. The engine applies it through the lock check and records a new ADR.`, refs: ['contracts/locks.json'], modules: plan.modules.map((m) => m.name), hops: 2 });
  }
  return out;
}

function line(d: Draft, id: number, project: string): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: `You are the project master for ${project}. Answer with specific module names, ADRs, and endpoints. If uncertain, say so.` },
      { role: 'user', content: d.q },
      { role: 'assistant', content: d.a },
    ],
    metadata: {
      pair_id: `qa-${String(id).padStart(5, '0')}`,
      taxonomy: d.type,
      source_refs: d.refs,
      modules_referenced: d.modules,
      hop_count: d.hops,
      difficulty: d.hops >= 3 ? 'advanced' : d.hops === 2 ? 'intermediate' : 'basic',
      quality_score: 0.9,
    },
  });
}

/** Up to `perType[t]` pairs of each type (all, when undefined), numbered from `startId`. */
export function trainingPairs(plan: ProjectPlan, decisions: Decision[], startId: number, perType?: Partial<Record<PairType, number>>): string[] {
  const taken: Draft[] = [];
  const counts: Partial<Record<PairType, number>> = {};
  for (const d of drafts(plan, decisions)) {
    const limit = perType ? (perType[d.type] ?? 0) : Infinity;
    if ((counts[d.type] ?? 0) >= limit) continue;
    counts[d.type] = (counts[d.type] ?? 0) + 1;
    taken.push(d);
  }
  return taken.map((d, i) => line(d, startId + i, plan.name));
}

/** One pair breaking each quality rule, in the order the engine's rules list them. */
export function badPairs(plan: ProjectPlan, startId: number): string[] {
  const m = plan.modules[0]!;
  const base: Draft = { type: 'factual_recall', q: '', a: '', refs: ['contracts/architecture.md'], modules: [m.name], hops: 1 };
  const lines = [
    '{"messages": "this line is not a pair"',
    line({ ...base, q: 'What does any module here do?', a: 'It does what its interface says and returns the result to the caller, raising errors when its inputs are wrong.' }, startId, plan.name),
    line({ ...base, q: `How big is ${m.name}?`, a: `${m.name} is small.` }, startId + 1, plan.name),
    line({ ...base, q: `Where can I read about ${m.name} errors?`, a: `See the docs: the ${m.name} interface file lists every error, so read it there rather than asking the project master.` }, startId + 2, plan.name),
    line({ ...base, q: `What does ${m.name} export, in a list?`, a: `The ${m.name} module exports:\n- **${publicFunctions(m)[0]}** from src/${m.name}/index.js, validated per ADR-002.` }, startId + 3, plan.name),
    // Gives the answer away: the question already holds the one value the answer states.
    line({ ...base, q: `Why does ${m.name} run its tests with node:test under ADR-001?`, a: `The ${m.name} module runs its tests with node:test because ADR-001 wants no test dependency installed before the first test run.` }, startId + 4, plan.name),
  ];
  return lines;
}
