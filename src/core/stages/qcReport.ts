/**
 * QC reports are written by the engine from the QC agent's structured verdict, not by the agent, so
 * the file always has the seed's shape and nothing the agent says can land elsewhere on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding, QcVerdict } from '../contracts/schemas';
import { writeFileAtomic } from '../run/runDir';

export function qcReportPath(qcDir: string, module: string): string {
  return path.join(qcDir, `${module}-build-qc.md`);
}

export function renderQcReport(module: string, verdict: QcVerdict, attempt: number, outOfScope: string[]): string {
  const section = (title: string, sev: Finding['severity']) => {
    const items = verdict.findings.filter((f) => f.severity === sev);
    return `## ${title}\n${items.length ? items.map(findingLine).join('\n') : 'None'}\n`;
  };
  const recommendation =
    verdict.verdict === 'PASS'
      ? 'PASS — proceed to assembly'
      : verdict.verdict === 'FAIL-MAJOR'
        ? 'FAIL-MAJOR — halt this module; the builder gets a fix cycle with the findings above'
        : 'FAIL-CRITICAL — halt the pipeline; the critical findings above must be fixed';
  return [
    `# QC Report: ${module}`,
    `## Verdict: ${verdict.verdict}`,
    `Attempt ${attempt}. Tests run: ${verdict.tests_run ? 'yes' : 'no'}; passed: ${verdict.tests_passed ? 'yes' : 'no'}.`,
    '## Summary',
    verdict.summary,
    section('Critical Findings', 'CRITICAL'),
    section('Major Findings', 'MAJOR'),
    section('Minor Findings', 'MINOR'),
    '## Scope',
    outOfScope.length
      ? `Left out of the module's commit by the engine (outside what the builder may change; not on the branch):\n${outOfScope.slice(0, 200).map((p) => `- \`${p}\``).join('\n')}${outOfScope.length > 200 ? `\n- … and ${outOfScope.length - 200} more` : ''}`
      : 'All changes are inside what the builder may change.',
    '## Recommendation',
    recommendation,
    '<!-- DONE -->',
    '',
  ].join('\n');
}

function findingLine(f: Finding): string {
  const where = f.file ? ` \`${f.file}${f.line ? `:${f.line}` : ''}\`` : '';
  return `- **${f.severity}**${where}: ${f.text.replace(/\n/g, ' ')}`;
}

export function writeQcReport(qcDir: string, module: string, verdict: QcVerdict, attempt: number, outOfScope: string[]): string {
  const file = qcReportPath(qcDir, module);
  // Earlier attempts are kept beside the current report, so a fix cycle's history is not lost.
  if (fs.existsSync(file)) fs.copyFileSync(file, path.join(qcDir, `${module}-build-qc.attempt-${attempt - 1}.md`));
  writeFileAtomic(file, renderQcReport(module, verdict, attempt, outOfScope));
  const minors = verdict.findings.filter((f) => f.severity === 'MINOR');
  if (minors.length) {
    fs.appendFileSync(path.join(qcDir, 'backlog.md'), minors.map((f) => `- [${module}] ${findingLine(f).slice(2)}`).join('\n') + '\n');
  }
  return file;
}

export function findingsForBuilder(verdict: QcVerdict): string {
  const relevant = verdict.findings.filter((f) => f.severity !== 'MINOR');
  return JSON.stringify(relevant, null, 2);
}
