/** The git layer the engine uses; every mutating call refuses the user's own worktree. */
export * from './errors';
export * from './branches';
export * from './repo';
export * from './worktrees';
export * from './commits';
export * from './merge';
export * from './userTree';
export * from './engineOps';
export * from './ownership';
export * from './throwaway';
export * from './shipMerge';
