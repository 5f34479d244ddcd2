/** Memory (M14): L1 brain files, L2 session summaries and L3 archive behind one store interface. */
export type { ArchiveRecord, MemoryHit, MemoryStats, MemoryStore, SessionSummary } from './types';
export { FileMemoryStore, roleFileName } from './fileStore';
export { BRAINS_REL, brainRel, readBrain, cutAtBytes } from './brain';
export { memoryForSpawn, memoryRole, type MemorySpawn, type MemorySpawnOptions } from './spawn';
export { memorySearchTool, sessionSummaryTool } from './tools';
export { MEMORY_REL, openRunMemory, publishRunMemory, runMemoryRoot, supersededRecord } from './runMemory';
