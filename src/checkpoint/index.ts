/** The checkpoint store's public surface: IndexedDB store, validation, retention, run lock, progress channel. */
export {
  branchRun,
  cleanupToLast,
  collectFiles,
  deleteCheckpoint,
  deleteRun,
  isQuotaError,
  listFiles,
  labelRun,
  listRunListings,
  listRuns,
  loadCheckpoint,
  loadLatestValid,
  loadManifest,
  loadRunCurves,
  putFile,
  readFile,
  recordFiles,
  saveCheckpoint,
  storageEstimate,
  type StoredFile,
} from './store';
export { migrateConfig, migrateRecord } from './migrate';
export { findRecordProblem, validateRecord, type RecordExpectation, type RecordProblem } from './validate';
export { planEmergencyRetention, planRetention, type RetentionPlan } from './retention';
export { acquireRunLock, runLockName, waitForRunLock, type RunLock, type RunLockOptions } from './lock';
export { openProgressChannel, progressChannelName, type ProgressChannel, type RunBroadcast } from './broadcast';
