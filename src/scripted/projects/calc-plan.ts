/**
 * The plan the scripted planner writes for the calc repository: three phases, the first with
 * three tasks (so it runs as a team), the second building on it, the third touching docs only.
 */
import { opDoc, opNamesIn } from './calc-ops';

export interface ScriptedPhaseFile {
  file: string;
  content: string;
}

function phaseFile(n: number, slug: string, header: object, body: string): ScriptedPhaseFile {
  const nn = String(n).padStart(2, '0');
  return { file: `phase-${nn}-${slug}.md`, content: `---\n${JSON.stringify(header, null, 2)}\n---\n${body}` };
}

export function calcPlanFiles(description: string, references: string[]): { planMd: string; phases: ScriptedPhaseFile[] } {
  const ops = opNamesIn(description);
  const [first, second, ...rest] = ops.length >= 3 ? ops : [...ops, 'square', 'negate'];
  const third = rest[0] ?? 'power';
  const refs = references.length > 0 ? references : ['README.md'];
  const op = (id: string, name: string, deps: string[] = []) => ({
    id,
    title: `Implement ${name} with its tests`,
    details: `Create src/ops/${name}.js exporting ${name}, and test/${name}.test.js covering it. ${opDoc(name).split('\n')[2]}`,
    files: [`src/ops/${name}.js`, `test/${name}.test.js`],
    depends_on: deps,
  });
  const phases = [
    phaseFile(
      1,
      `${first}-and-${second}`,
      {
        phase: 1,
        title: `Add ${first} and ${second}`,
        depends_on: [],
        references: refs,
        tasks: [op('T1', first!), op('T2', second!), { id: 'T3', title: `Document ${first} and ${second}`, details: 'One page per operation in docs/.', files: [`docs/${first}.md`, `docs/${second}.md`], depends_on: [] }],
      },
      `# Phase 01: Add ${first} and ${second}\n\nThe library has \`add\` and \`subtract\` in \`src/math.js\`. New operations live one per file in \`src/ops/\`, each with a test in \`test/\`.\n`,
    ),
    phaseFile(
      2,
      third,
      { phase: 2, title: `Add ${third}`, depends_on: [1], references: [`src/ops/${first}.js`], tasks: [op('T1', third), { id: 'T2', title: `Document ${third}`, details: 'A page in docs/.', files: [`docs/${third}.md`], depends_on: ['T1'] }] },
      `# Phase 02: Add ${third}\n\nBuilds on phase 01's layout (\`src/ops/${first}.js\`).\n`,
    ),
    phaseFile(
      3,
      'readme-and-changelog',
      { phase: 3, title: 'README and changelog', depends_on: [1, 2], references: ['README.md'], tasks: [{ id: 'T1', title: 'List the new operations in README.md', details: 'One line per operation.', files: ['README.md'], depends_on: [] }] },
      '# Phase 03: README and changelog\n\nUsers learn about the operations from `README.md`.\n',
    ),
  ];
  const planMd =
    `# Plan: ${description}\n\n## Summary\n\nAdd ${[first, second, third].join(', ')} to the calc library in three phases.\n\n## Phases\n\n` +
    '| Phase | Title | File | Depends on |\n|---|---|---|---|\n' +
    phases.map((p, i) => `| ${String(i + 1).padStart(2, '0')} | ${p.file.replace(/^phase-\d\d-|\.md$/g, '')} | [${p.file}](./${p.file}) | ${['-', '01', '01, 02'][i]} |`).join('\n') +
    '\n\n## Decisions\n\n- One file per operation under src/ops/: independent tasks touch different files, so a team can work in parallel.\n\n' +
    '## Success metrics\n\n- `node --test` green after every phase; every operation documented.\n';
  return { planMd, phases };
}
