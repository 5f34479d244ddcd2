/**
 * The command lines a gate approves (the blueprint's toolchain), as text for the gate notification and
 * the Approve item: a non-modal notification shows no `detail`, so they go into the message itself.
 * Verbatim: the engine refused any command that spans lines or hides characters, and what VS Code
 * would draw as a link or an icon is made inert (inertText.ts).
 */
import type { GateRequest } from '../../core/api';
import { inert } from './inertText';

export function gateCommandsText(request: Pick<GateRequest, 'commands'>): string {
  if (!request.commands?.length) return '';
  return ` Approving lets the engine run: ${request.commands.map((c) => `${c.label.split(' (')[0]} \`${inert(c.command)}\``).join('; ')}.`;
}
