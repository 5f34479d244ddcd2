/**
 * Where a team keeps its shared state in the run directory, and opening it: `team/phase-NN/` for a
 * phase's team, `team/ship/` for the builder that makes the changes asked at an implement run's
 * ship gate. Each holds the task list, the mailbox and the roster (plus the teammates'
 * conversations); every team is opened the same way, so a phase team and the ship team cannot drift.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Mailbox } from './mailbox';
import { Roster } from './roster';
import { nn } from './state';
import { TaskList } from './taskList';

export interface TeamFiles {
  teamDir: string;
  tasks: TaskList;
  mailbox: Mailbox;
  roster: Roster;
}

export function phaseTeamDir(runDir: string, phase: number): string {
  return path.join(runDir, 'team', `phase-${nn(phase)}`);
}

export function shipTeamDir(runDir: string): string {
  return path.join(runDir, 'team', 'ship');
}

/** A run's teams that exist on disk: each phase's (`phase` "01", …) in phase order, then the ship team (`phase` "ship"). */
export function teamDirsOf(runDir: string): { phase: string; dir: string }[] {
  const root = path.join(runDir, 'team');
  if (!fs.existsSync(root)) return [];
  const names = fs.readdirSync(root);
  return [
    ...names.filter((d) => /^phase-\d\d$/.test(d)).sort().map((d) => ({ phase: d.slice('phase-'.length), dir: path.join(root, d) })),
    ...(names.includes('ship') ? [{ phase: 'ship', dir: shipTeamDir(runDir) }] : []),
  ];
}

/** Opens (and creates, the first time) a team's folder with its task list, mailbox and roster. */
export function openTeamFiles(teamDir: string): TeamFiles {
  fs.mkdirSync(teamDir, { recursive: true });
  return {
    teamDir,
    tasks: TaskList.open(path.join(teamDir, 'tasks.json')),
    mailbox: new Mailbox(path.join(teamDir, 'mailbox.jsonl')),
    roster: Roster.open(path.join(teamDir, 'roster.json')),
  };
}
