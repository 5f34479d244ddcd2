/**
 * Entry point of dist/engine.js, the bundle the extension requires on the first start or resume:
 * the engine, and the built-in scripted model the extension injects as the engine's offline model
 * (the engine itself never imports the scripted model).
 */
export { startRun, startAudit, resumeRun, checkStart } from '../core/engine';
export { startScriptedModel } from '../scripted';
export { startImplement } from '../core/teams/implement';
export { createPlan } from '../core/plans/create';
export { openModelSession } from '../core/plans/session';
