/**
 * The scripted model's "mind": picks the role from the task card and asks that role for its next
 * turn. A request without a recognisable task card gets a plain answer instead of an error, as a
 * model would give one.
 */
import type { ScriptedReply } from './api-types';
import { finish } from './reply';
import { architectTurn } from './roles/architect';
import { builderTurn } from './roles/builder';
import type { RoleContext } from './roles/context';
import { masterTurn } from './roles/master';
import { qcTurn } from './roles/qc';
import { trainingTurn } from './roles/training';
import { scaffoldTurn } from './roles/scaffold';
import { withSessionSummary } from './roles/memory-habits';
import { auditPlannerTurn } from './roles/audit-planner';
import { auditWorkerTurn } from './roles/audit-worker';
import { auditCoordinatorTurn } from './roles/audit-coordinator';
import { shipperTurn } from './roles/shipper';
import { planRoleTurn } from './roles/plan-roles';

export function scriptedTurn(ctx: RoleContext): ScriptedReply {
  // Roles of phased plans and teams (planner, auditor, reviewer, judge, teammates) live in their own files.
  // Every role records its session summary when the engine offers the memory tool (roles/memory-habits.ts).
  const planned = planRoleTurn(ctx);
  if (planned) return withSessionSummary(ctx.c, planned);
  return withSessionSummary(ctx.c, roleTurn(ctx));
}

function roleTurn(ctx: RoleContext): ScriptedReply {
  switch (ctx.c.card.role) {
    case 'architect':
      return architectTurn(ctx);
    case 'scaffold':
      return scaffoldTurn(ctx);
    case 'builder':
      return builderTurn(ctx);
    case 'qc':
      return qcTurn(ctx);
    case 'master':
      return masterTurn(ctx);
    case 'training':
      return trainingTurn(ctx);
    case 'audit-planner':
      return auditPlannerTurn(ctx);
    case 'audit-worker':
      return auditWorkerTurn(ctx);
    case 'audit-coordinator':
      return auditCoordinatorTurn(ctx);
    case 'shipper':
      return shipperTurn(ctx);
    case 'unknown':
      return finish('I am the scripted model of Build Pipeline. I only act on a message that starts with a <task-card> naming my role.');
  }
}
