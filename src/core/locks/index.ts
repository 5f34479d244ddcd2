/** Trust locks (M12): the policy, the one change function, its audit trail and the agent tool. */
export { checkLock, itemLabel, type Actor, type ItemKind, type LockCheck, type LockedItem } from './policy';
export { appendAudit, auditPath, historyOf, readAudit, AUDIT_FILE, type AuditEntry } from './audit';
export { changeContract, interfaceLock, interfaceRel, lockedItem, readLocksFile, ContractChangeSchema, LockError, type AppliedChange, type ContractChange, type ChangeOptions } from './changeContract';
export { changeContractTool } from './tool';
export { lockHistoryMarkdown, lastChanges } from './history';
