/**
 * Dispatch for the roles of phased plans and teams. Their task cards carry `role:` values the
 * pipeline's roles do not use, so the pipeline's dispatch is left as it was.
 */
import type { ScriptedReply } from '../api-types';
import type { RoleContext } from './context';
import { plannerTurn } from './planner';
import { planAuditorTurn } from './plan-auditor';
import { teammateTurn } from './teammate';
import { codeReviewerTurn, reviewJudgeTurn } from './code-reviewer';
import { planReviewerTurn, planReviserTurn } from './plan-reviewer';

export function planRoleTurn(ctx: RoleContext): ScriptedReply | undefined {
  switch (ctx.c.card.fields['role']?.toLowerCase()) {
    case 'planner':
      return plannerTurn(ctx);
    case 'plan-auditor':
      return planAuditorTurn(ctx);
    case 'teammate':
      return teammateTurn(ctx);
    case 'code-reviewer':
      return codeReviewerTurn(ctx);
    case 'plan-reviewer':
      return planReviewerTurn(ctx);
    case 'plan-reviser':
      return planReviserTurn(ctx);
    case 'review-judge':
      return reviewJudgeTurn(ctx);
    default:
      return undefined;
  }
}
