/** The checkpoint store's public surface: IndexedDB store, validation, retention, run lock, progress channel. */
export {
  CHECKPOINT_DB_NAME,
  cleanupToLast,
  deleteCheckpoint,
  deleteRun,
  estimateRecordBytes,
  getCurrentRun,
  isQuotaError,
  listRuns,
  loadCheckpoint,
  loadLatestValid,
  loadManifest,
  requestPersistence,
  saveCheckpoint,
  setCurrentRun,
  storageEstimate,
} from './store';
export { findRecordProblem, validateRecord, type RecordExpectation, type RecordProblem } from './validate';
export { planEmergencyRetention, planRetention, type RetentionPlan } from './retention';
export { acquireRunLock, runLockName, waitForRunLock, type RunLock, type RunLockOptions } from './lock';
export { openProgressChannel, progressChannelName, type ProgressChannel, type RunBroadcast } from './broadcast';
