/**
 * The arithmetic every synthetic ("combiner") module implements, computed here too so the generated
 * tests can assert exact values: a test that really checks the combination, not just "returns a number".
 */
import type { ProjectPlan } from './plan';

export const MODULUS = 1_000_003;

/** (salt * 1000 + sum of input_i * (i + 1)) mod MODULUS, inputs in depends_on order. */
export function combineValues(salt: number, inputs: readonly number[]): number {
  let total = salt * 1000;
  inputs.forEach((input, i) => {
    total += input * (i + 1);
  });
  return ((total % MODULUS) + MODULUS) % MODULUS;
}

/** value() of every combiner module once the whole graph is assembled; modules in a cycle are left out. */
export function expectedValues(plan: ProjectPlan): Map<string, number> {
  const byName = new Map(plan.modules.map((m) => [m.name, m]));
  const values = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number | undefined => {
    const known = values.get(name);
    if (known !== undefined) return known;
    const mod = byName.get(name);
    if (!mod || mod.kind !== 'combiner' || visiting.has(name)) return undefined;
    visiting.add(name);
    const inputs: number[] = [];
    for (const dep of mod.dependsOn) {
      const v = visit(dep);
      if (v === undefined) {
        visiting.delete(name);
        return undefined;
      }
      inputs.push(v);
    }
    visiting.delete(name);
    const value = combineValues(mod.salt, inputs);
    values.set(name, value);
    return value;
  };
  for (const m of plan.modules) visit(m.name);
  return values;
}
