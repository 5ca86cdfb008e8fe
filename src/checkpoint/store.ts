/**
 * Checkpoints in IndexedDB, through one idb-keyval store. Keys:
 *   `manifest:<runId>`     RunManifest (the run's complete checkpoints, oldest first)
 *   `ckpt:<runId>:<id>`    CheckpointRecord
 *   `runs`                 string[] of runIds, oldest first
 *   `label:<runId>`        RunLabel: the run's name, lineage and pending deletion (optional)
 *   `file:<sha256>`        StoredFile: an uploaded data file, stored once, referenced by id
 *                          from the notebook and from checkpoints (config.data.csv.fileId)
 * A record and its manifest entry are written in one transaction, so a checkpoint listed in a
 * manifest is always complete, and one that is not listed does not exist (STYLE.md).
 * Runs in the training worker and in the page; one writer per run is ensured by lock.ts.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import type { CheckpointMeta, CheckpointRecord, RunCurves, RunLabel, RunListing, RunManifest, RunManifestSummary } from '../shared/checkpoint';
import { CheckpointNotFoundError, CorruptCheckpointError, isAppError, StorageFullError } from '../shared/errors';
import { planEmergencyRetention, planRetention, type RetentionPlan } from './retention';
import { findRecordProblem, validateRecord, type RecordExpectation } from './validate';
import { migrateRecord } from './migrate';
import { dataFileIds } from '../shared/config';

const CHECKPOINT_DB_NAME = 'tab-trainer-checkpoints';
const STORE_NAME = 'kv';
const RUNS_KEY = 'runs';
/** Written by the first release; deleteRun still clears it. */
const CURRENT_RUN_KEY = 'current-run';
const fileKey = (id: string) => `file:${id}`;
const manifestKey = (runId: string) => `manifest:${runId}`;
const recordKey = (runId: string, id: string) => `ckpt:${runId}:${id}`;
const labelKey = (runId: string) => `label:${runId}`;

let kv: UseStore | undefined;
/** createStore opens the database at once, so it waits for the first call (and Node never opens it). */
function db(): UseStore {
  return (kv ??= createStore(CHECKPOINT_DB_NAME, STORE_NAME));
}

/**
 * On a full disk Chromium closes the connection ("Connection is closing because of: IO error …") and
 * idb-keyval would keep handing out the closed one; the next call opens the database again instead.
 */
function forgetBrokenConnection(e: unknown): void {
  if (isDiskFullError(e) || isBackingStoreError(e) || isVagueFailure(e) || (e as { name?: unknown })?.name === 'InvalidStateError') kv = undefined;
}

/**
 * A write failed for lack of space since the last successful one. Chromium then cannot reopen the
 * database either ("Internal error opening backing store") until space is freed, so that error is
 * a full disk too; on its own it may have other causes and passes through.
 */
let diskFullSeen = false;

/**
 * The newest checkpoint this context committed, per run: on a full disk Chromium cannot even reopen
 * the database to read the manifest, and the message should still name the checkpoint that is kept.
 */
const lastCommitted = new Map<string, CheckpointMeta>();

/**
 * Saves a checkpoint: the record and the manifest updated to list it (as `latest`) are committed in
 * one transaction; the promise settles only once that transaction is complete. Only then is
 * retention applied, in a second transaction. If storage is full, periodic checkpoints beyond the
 * newest are deleted and the save is tried once more; the previous state is intact either way.
 * @param record a complete record; `meta.sizeBytes` ≤ 0 is replaced by an estimate
 * @param retention keepLast: how many periodic/manual checkpoints to keep (plus the latest best and final)
 * @returns the meta as stored, and the ids deleted by retention
 * @throws CorruptCheckpointError when the record would not be loadable (checked before writing)
 * @throws StorageFullError when it does not fit even after the emergency clean-up
 */
export async function saveCheckpoint(
  record: CheckpointRecord,
  retention: { keepLast: number },
): Promise<{ meta: CheckpointMeta; deleted: string[] }> {
  const problem = findRecordProblem(record);
  if (problem) {
    throw new CorruptCheckpointError(
      `Checkpoint at epoch ${record?.meta?.epoch} was not saved: ${problem.reason}. The previous checkpoints are unchanged.`,
    );
  }
  const meta: CheckpointMeta = { ...record.meta, sizeBytes: record.meta.sizeBytes > 0 ? record.meta.sizeBytes : estimateRecordBytes(record) };
  const stored: CheckpointRecord = { ...record, meta };
  const deleted: string[] = [];
  try {
    await commitTellingWhy(stored);
  } catch (e) {
    forgetBrokenConnection(e);
    if (!isQuotaError(e) && !(diskFullSeen && (isBackingStoreError(e) || isVagueFailure(e)))) throw e;
    diskFullSeen = true;
    try {
      deleted.push(...(await applyPlan(meta.runId, planEmergencyRetention)));
      if (deleted.length === 0) throw e;
      await commitRecord(stored);
    } catch (again) {
      forgetBrokenConnection(again);
      if (again !== e && !isQuotaError(again) && !isBackingStoreError(again) && !isVagueFailure(again)) throw again;
      throw await storageFullError(meta, again);
    }
  }
  diskFullSeen = false;
  lastCommitted.set(meta.runId, meta);
  try {
    deleted.push(...(await applyPlan(meta.runId, (metas) => planRetention(metas, retention.keepLast))));
  } catch (e) {
    // The checkpoint is committed; a failed clean-up only leaves extra ones behind.
    console.warn(`Checkpoint ${meta.id} saved, but removing old checkpoints of run ${meta.runId} failed`, e);
  }
  return { meta, deleted };
}

/**
 * Commits `stored`; after a failure that does not say why (isVagueFailure), tries once more on a
 * fresh connection. That either succeeds (a passing hiccup) or says what happened: on a full disk,
 * reopening the database fails with "QuotaExceededError: Encountered full disk while opening
 * backing store".
 */
async function commitTellingWhy(stored: CheckpointRecord): Promise<void> {
  try {
    await commitRecord(stored);
  } catch (e) {
    if (!isVagueFailure(e)) throw e;
    console.warn(`Saving checkpoint ${stored.meta.id} failed without a reason (${(e as Error).name}: ${(e as Error).message}); trying once more on a new connection`);
    forgetBrokenConnection(e);
    await commitRecord(stored);
  }
}

/** The run's manifest, or null when the run has no checkpoints stored. */
export async function loadManifest(runId: string): Promise<RunManifest | null> {
  return (await db()('readonly', (s) => promisifyRequest<RunManifest | undefined>(s.get(manifestKey(runId))))) ?? null;
}

/**
 * Reads one checkpoint and validates it in full.
 * @param expect optional tensor names/shapes and training-set size the record must match
 * @throws CorruptCheckpointError (missing, malformed, NaN…) or UnknownCheckpointVersionError
 */
export async function loadCheckpoint(runId: string, id: string, expect?: RecordExpectation): Promise<CheckpointRecord> {
  const r = await db()('readonly', (s) => promisifyRequest<unknown>(s.get(recordKey(runId, id))));
  if (r === undefined) {
    throw new CheckpointNotFoundError(`Checkpoint "${id}" of run ${runId} is not in browser storage (it was deleted, or the browser cleared the site's data). Resume from another checkpoint.`);
  }
  const record = validateRecord(r, expect);
  if (record.meta.id !== id || record.meta.runId !== runId) {
    throw new CorruptCheckpointError(
      `Checkpoint "${id}" of run ${runId} holds "${record.meta.id}" of run ${record.meta.runId}. Delete it and resume from another checkpoint.`,
    );
  }
  return migrateRecord(record, putFile);
}

/**
 * Loads the newest checkpoint that reads and validates, trying the latest first and then older
 * ones, newest to oldest. Each one passed over is reported, so the UI can say
 * "Latest checkpoint (epoch 25) is unreadable: <reason>. Resumed from epoch 24."
 * @param validate extra checks by the caller (e.g. validateRecord against the model); throw to skip
 * @returns null when the run has no checkpoints
 * @throws CorruptCheckpointError listing every reason when none of them is usable
 */
export async function loadLatestValid(
  runId: string,
  validate?: (r: CheckpointRecord) => void,
): Promise<{ record: CheckpointRecord; skipped: { meta: CheckpointMeta; reason: string }[] } | null> {
  const manifest = await loadManifest(runId);
  if (!manifest || manifest.checkpoints.length === 0) return null;
  const newestFirst = [...manifest.checkpoints].reverse();
  const latest = newestFirst.findIndex((m) => m.id === manifest.latest);
  if (latest > 0) newestFirst.unshift(...newestFirst.splice(latest, 1));
  const skipped: { meta: CheckpointMeta; reason: string }[] = [];
  for (const meta of newestFirst) {
    try {
      const r = await db()('readonly', (s) => promisifyRequest<unknown>(s.get(recordKey(runId, meta.id))));
      const problem = r === undefined ? { reason: 'its data is missing from browser storage' } : findRecordProblem(r);
      if (problem) {
        skipped.push({ meta, reason: problem.reason });
        continue;
      }
      validate?.(r as CheckpointRecord);
      return { record: await migrateRecord(r as CheckpointRecord, putFile), skipped };
    } catch (e) {
      skipped.push({ meta, reason: describeError(e) });
    }
  }
  const reasons = skipped.map((s) => `epoch ${s.meta.epoch} ("${s.meta.id}"): ${s.reason}`).join('; ');
  throw new CorruptCheckpointError(`No checkpoint of run ${runId} can be resumed: ${reasons}. Start a new run, or import a downloaded checkpoint.`);
}

/** Deletes one checkpoint: its record and its manifest entry, in one transaction. */
export async function deleteCheckpoint(runId: string, id: string): Promise<void> {
  if (lastCommitted.get(runId)?.id === id) lastCommitted.delete(runId);
  await applyPlan(runId, (metas) => ({
    keep: metas.filter((m) => m.id !== id).map((m) => m.id),
    remove: [id],
  }));
}

/**
 * Applies retention now: keeps the last `keepLast` periodic/manual checkpoints, the latest best and
 * final, and the newest of any kind. @returns the deleted ids
 */
export async function cleanupToLast(runId: string, keepLast: number): Promise<string[]> {
  return applyPlan(runId, (metas) => planRetention(metas, keepLast));
}

/** Manifests of every run with checkpoints, oldest run first. */
export async function listRuns(): Promise<RunManifest[]> {
  return db()('readonly', async (s) => {
    const runs = (await promisifyRequest<string[] | undefined>(s.get(RUNS_KEY))) ?? [];
    const manifests = await Promise.all(runs.map((id) => promisifyRequest<RunManifest | undefined>(s.get(manifestKey(id)))));
    return manifests.filter((m): m is RunManifest => m !== undefined);
  });
}


/**
 * Every run with checkpoints, oldest first, as the Runs cell lists it: manifest, label, sizes and
 * what its newest checkpoint says. A manifest from before summaries has its newest record read
 * (once per listing; the next save writes the summary).
 * @param locked names the runs another tab trains
 */
export async function listRunListings(locked: (runId: string) => boolean = () => false): Promise<RunListing[]> {
  return db()('readonly', async (s) => {
    const runs = (await promisifyRequest<string[] | undefined>(s.get(RUNS_KEY))) ?? [];
    const rows = await Promise.all(runs.map(async (runId): Promise<RunListing | null> => {
      const [manifest, label] = await Promise.all([
        promisifyRequest<RunManifest | undefined>(s.get(manifestKey(runId))),
        promisifyRequest<RunLabel | undefined>(s.get(labelKey(runId))),
      ]);
      if (!manifest || manifest.checkpoints.length === 0) return null;
      const summary = manifest.summary ?? (await summaryOfRecord(s, runId, manifest.latest ?? manifest.checkpoints.at(-1)!.id));
      const times = manifest.checkpoints.map((m) => m.createdAt);
      return {
        runId,
        label: label ?? {},
        checkpoints: manifest.checkpoints,
        sizeBytes: manifest.checkpoints.reduce((n, m) => n + m.sizeBytes, 0),
        startedAt: Math.min(...times),
        updatedAt: Math.max(...times),
        config: summary?.config ?? null,
        best: summary?.best ?? null,
        last: summary?.last ?? null,
        locked: locked(runId),
      };
    }));
    return rows.filter((r): r is RunListing => r !== null);
  });
}

/** An old manifest's summary, read from its newest record; null when that record is unreadable. */
async function summaryOfRecord(s: IDBObjectStore, runId: string, id: string): Promise<RunManifestSummary | null> {
  const r = await promisifyRequest<Partial<CheckpointRecord> | undefined>(s.get(recordKey(runId, id)));
  if (!r?.config || !r.trainer) return null;
  return { config: r.config, best: r.trainer.best ?? null, last: r.trainer.history?.at(-1) ?? null };
}

/**
 * The curves of a run's newest checkpoint, for the Runs cell's comparison: its epoch history and
 * per-step training losses. IndexedDB hands out whole values, so the record's tensors are read
 * here too, but none of them is validated or returned. Null when the run or the record is gone
 * or the record has no readable history.
 */
export async function loadRunCurves(runId: string): Promise<RunCurves | null> {
  return db()('readonly', async (s) => {
    const manifest = await promisifyRequest<RunManifest | undefined>(s.get(manifestKey(runId)));
    const id = manifest?.latest ?? manifest?.checkpoints.at(-1)?.id;
    if (!id) return null;
    const r = await promisifyRequest<Partial<CheckpointRecord> | undefined>(s.get(recordKey(runId, id)));
    const t = r?.trainer;
    if (!t || !Array.isArray(t.history) || !(t.stepLosses instanceof Float32Array)) return null;
    const stepsPerEpoch = r.about?.stepsPerEpoch ?? (t.epoch > 0 ? (t.step - t.batchInEpoch) / t.epoch : 0);
    return { runId, checkpointId: id, history: t.history, stepLosses: t.stepLosses, stepsPerEpoch };
  });
}

/**
 * Changes a run's label: `patch`'s fields replace the stored ones (a field set to undefined is
 * removed). Works before the run's first checkpoint, so lineage is known from its start.
 */
export async function labelRun(runId: string, patch: Partial<RunLabel>): Promise<RunLabel> {
  return transact(async (s) => {
    const label: RunLabel = { ...((await promisifyRequest<RunLabel | undefined>(s.get(labelKey(runId)))) ?? {}), ...patch };
    for (const k of Object.keys(label) as (keyof RunLabel)[]) if (label[k] === undefined) delete label[k];
    s.put(label, labelKey(runId));
    return label;
  });
}

/**
 * Starts a branch: a new run `newRunId` whose first checkpoint is a copy of `checkpointId` of
 * `fromRunId` (validated in full first), labelled with `label`. The run it came from is unchanged.
 * @returns the branch's checkpoint
 * @throws CheckpointNotFoundError, CorruptCheckpointError as loadCheckpoint
 */
export async function branchRun(fromRunId: string, checkpointId: string, newRunId: string, label: RunLabel): Promise<CheckpointMeta> {
  const record = await loadCheckpoint(fromRunId, checkpointId);
  const meta: CheckpointMeta = { ...record.meta, runId: newRunId, createdAt: Date.now() };
  await labelRun(newRunId, label);
  await commitRecord({ ...record, meta });
  lastCommitted.set(newRunId, meta);
  return meta;
}

/**
 * Deletes a run: all its records (listed or not), its manifest, and the current-run mark if it is
 * this run; then every stored file no other run and nothing in `keepFiles` (the notebook's) uses.
 */
export async function deleteRun(runId: string, keepFiles: readonly string[] = []): Promise<void> {
  lastCommitted.delete(runId);
  await transact(async (s) => {
    const [runs, current] = await Promise.all([
      promisifyRequest<string[] | undefined>(s.get(RUNS_KEY)),
      promisifyRequest<string | undefined>(s.get(CURRENT_RUN_KEY)),
    ]);
    s.delete(IDBKeyRange.bound(recordKey(runId, ''), recordKey(runId, '\uffff')));
    s.delete(manifestKey(runId));
    s.delete(labelKey(runId));
    s.put((runs ?? []).filter((r) => r !== runId), RUNS_KEY);
    if (current === runId) s.delete(CURRENT_RUN_KEY);
  });
  await collectFiles(keepFiles);
}

/** An uploaded data file as stored: its bytes once, whatever refers to it. */
export interface StoredFile {
  name: string;
  bytes: Uint8Array;
  storedAt: number;
}

/** The files a record refers to by id. */
export function recordFiles(record: Pick<CheckpointRecord, 'config'>): string[] {
  return dataFileIds(record.config.data);
}

/** A file's id: the SHA-256 of its bytes, hex. The same bytes always get the same id. */
export async function fileId(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Stores an uploaded file once (content-addressed): storing the same bytes again keeps one copy.
 * @returns its id
 * @throws StorageFullError-worthy errors pass through (isQuotaError tells them)
 */
export async function putFile(name: string, bytes: Uint8Array): Promise<string> {
  const id = await fileId(bytes);
  await transact(async (s) => {
    const had = await promisifyRequest<StoredFile | undefined>(s.get(fileKey(id)));
    if (!had) s.put({ name, bytes, storedAt: Date.now() } satisfies StoredFile, fileKey(id));
  });
  return id;
}

/** A stored file's bytes, or null when no file has that id. */
export async function readFile(id: string): Promise<StoredFile | null> {
  return (await db()('readonly', (s) => promisifyRequest<StoredFile | undefined>(s.get(fileKey(id))))) ?? null;
}

/** Ids of every stored file. */
export async function listFiles(): Promise<string[]> {
  const keys = await db()('readonly', (s) => promisifyRequest(s.getAllKeys(IDBKeyRange.bound(fileKey(''), fileKey('\uffff')))));
  return keys.map((k) => String(k).slice(fileKey('').length));
}

/**
 * Deletes every stored file that no run's checkpoints and nothing in `keep` refer to.
 * @returns the deleted ids
 */
export async function collectFiles(keep: readonly string[] = []): Promise<string[]> {
  return transact(async (s) => {
    const runs = (await promisifyRequest<string[] | undefined>(s.get(RUNS_KEY))) ?? [];
    const manifests = await Promise.all(runs.map((id) => promisifyRequest<RunManifest | undefined>(s.get(manifestKey(id)))));
    const used = new Set([...keep, ...manifests.flatMap((m) => m?.files ?? [])]);
    const stored = (await promisifyRequest(s.getAllKeys(IDBKeyRange.bound(fileKey(''), fileKey('\uffff'))))).map((k) => String(k).slice(fileKey('').length));
    const unused = stored.filter((id) => !used.has(id));
    for (const id of unused) s.delete(fileKey(id));
    return unused;
  });
}

/**
 * Storage used and granted for this origin (all of it, not just checkpoints). Unknown figures are
 * NaN where navigator.storage is missing.
 */
export async function storageEstimate(): Promise<{ usageBytes: number; quotaBytes: number; persisted: boolean }> {
  const storage = globalThis.navigator?.storage;
  if (!storage?.estimate) return { usageBytes: NaN, quotaBytes: NaN, persisted: false };
  const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted?.() ?? Promise.resolve(false)]);
  return { usageBytes: estimate.usage ?? NaN, quotaBytes: estimate.quota ?? NaN, persisted };
}


/** Writes the record, its manifest entry and the run list in one readwrite transaction. */
async function commitRecord(record: CheckpointRecord): Promise<void> {
  const { meta } = record;
  await transact(async (s) => {
    const [manifest, runs] = await Promise.all([
      promisifyRequest<RunManifest | undefined>(s.get(manifestKey(meta.runId))),
      promisifyRequest<string[] | undefined>(s.get(RUNS_KEY)),
    ]);
    const checkpoints = (manifest?.checkpoints ?? []).filter((m) => m.id !== meta.id);
    checkpoints.push(meta);
    s.put(record, recordKey(meta.runId, meta.id));
    const files = [...new Set([...(manifest?.files ?? []), ...recordFiles(record)])];
    const summary: RunManifestSummary = { config: record.config, best: record.trainer.best, last: record.trainer.history.at(-1) ?? null };
    s.put({ runId: meta.runId, checkpoints, latest: meta.id, updatedAt: Date.now(), files, summary } satisfies RunManifest, manifestKey(meta.runId));
    if (!runs?.includes(meta.runId)) s.put([...(runs ?? []), meta.runId], RUNS_KEY);
  });
}

/** Deletes what `plan` removes, records and manifest entries together. @returns the deleted ids */
async function applyPlan(runId: string, plan: (metas: CheckpointMeta[]) => RetentionPlan): Promise<string[]> {
  return transact(async (s) => {
    const manifest = await promisifyRequest<RunManifest | undefined>(s.get(manifestKey(runId)));
    const metas = manifest?.checkpoints ?? [];
    const { keep, remove } = plan(metas);
    if (remove.length === 0) return [];
    for (const id of remove) s.delete(recordKey(runId, id));
    if (!manifest) return []; // an unlisted record was never a checkpoint; do not invent a run for it
    const kept = metas.filter((m) => keep.includes(m.id) && !remove.includes(m.id));
    const latest = kept.some((m) => m.id === manifest.latest) ? manifest.latest : (kept.at(-1)?.id ?? null);
    s.put({ ...manifest, runId, checkpoints: kept, latest, updatedAt: Date.now() } satisfies RunManifest, manifestKey(runId));
    return remove.filter((id) => metas.some((m) => m.id === id));
  });
}

/**
 * Runs `work` in one readwrite transaction and resolves once it has committed. If `work` throws,
 * the transaction is aborted, so nothing it wrote is kept. Awaiting IDB requests inside `work`
 * is safe: their promises resolve in the request's success event, while the transaction is active.
 */
function transact<T>(work: (store: IDBObjectStore) => T | Promise<T>): Promise<T> {
  return db()('readwrite', async (store) => {
    const tx = store.transaction;
    const done = promisifyRequest(tx);
    let result: T;
    try {
      result = await work(store);
    } catch (e) {
      done.catch(() => {}); // the abort below rejects it; `e` is the error that matters
      try {
        tx.abort();
      } catch {
        // already aborted by the failed request
      }
      throw e;
    }
    await done;
    return result;
  });
}

/**
 * Out of room: QuotaExceededError (the browser's quota), or the disk itself is full, which Chromium
 * reports as an UnknownError whose message names LevelDB's FILE_ERROR_NO_SPACE (seen on a full
 * tmpfs, test/e2e/full-disk.e2e.ts). Directly or wrapped (a transaction's error, an AbortError's cause…).
 */
export function isQuotaError(e: unknown, depth = 0): boolean {
  if (typeof e !== 'object' || e === null || depth > 4) return false;
  const err = e as { name?: unknown; code?: unknown; cause?: unknown; error?: unknown; inner?: unknown };
  if (err.name === 'QuotaExceededError' || err.code === 22 || isDiskFullError(e)) return true;
  return [err.cause, err.error, err.inner].some((inner) => isQuotaError(inner, depth + 1));
}

/**
 * The disk is full: Chromium's LevelDB says FILE_ERROR_NO_SPACE; its blob writer, which takes values
 * over 64 KB (a checkpoint of a few MB), fails the commit with `DataError: Failed to write blobs
 * (IOError)` (seen with 3.2 MB checkpoints on a full tmpfs profile); an OS error may say ENOSPC.
 */
function isDiskFullError(e: unknown): boolean {
  const { name, message } = (e ?? {}) as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return false;
  if (/FILE_ERROR_NO_SPACE|No space left on device|ENOSPC/i.test(message)) return true;
  return name === 'DataError' && /Failed to write blobs/i.test(message);
}

/**
 * An IndexedDB failure that does not say why. With the offline cache (Cache Storage) beside
 * IndexedDB, Chromium reports a full disk as "AbortError: The connection was closed." and then
 * "UnknownError: Internal error." (seen verbatim on a full tmpfs, test/e2e/full-disk.e2e.ts).
 */
export function isVagueFailure(e: unknown): boolean {
  const { name, message } = (e ?? {}) as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return false;
  return (name === 'AbortError' && /connection was closed/i.test(message)) || (name === 'UnknownError' && /^Internal error\.?$/i.test(message.trim()));
}

/** Chromium could not open the database's files (after a full disk: it cannot write them). */
function isBackingStoreError(e: unknown): boolean {
  const message = (e as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /opening backing store/i.test(message);
}

async function storageFullError(meta: CheckpointMeta, cause: unknown): Promise<StorageFullError> {
  // The store does not know whether the run is still training; the page adds what to do in each state.
  let lastGood = 'There is no earlier checkpoint of this run: until a save succeeds, the trained state is only in this tab.';
  try {
    const manifest = await loadManifest(meta.runId);
    const latest = manifest?.checkpoints.find((m) => m.id === manifest.latest);
    if (latest) lastGood = `The last good checkpoint (epoch ${latest.epoch}) is kept. Download it to have it as a file.`;
  } catch (e) {
    forgetBrokenConnection(e);
    console.warn(`Could not read the manifest of run ${meta.runId} after a full-storage error`, e);
    const kept = lastCommitted.get(meta.runId);
    lastGood = kept
      ? `The last good checkpoint (epoch ${kept.epoch}) is kept. Download it to have it as a file.`
      : 'Checkpoints stored before are unchanged; until a save succeeds, the newest state is only in this tab.';
  }
  // A save needs room for the new record beside the kept one: deleting that one is never the advice.
  const need = meta.sizeBytes < 1e6 ? `${Math.max(1, Math.round(meta.sizeBytes / 1e3))} KB` : `${(meta.sizeBytes / 1e6).toFixed(1)} MB`;
  return new StorageFullError(
    `Browser storage is full: checkpoint at epoch ${meta.epoch} was not saved. ${lastGood} ` +
      `It needs at least ${need} more: free space on the disk (or delete other runs' checkpoints), then press Save now.`,
    { cause },
  );
}


/** Our own errors already read as a reason; a browser's (NotReadableError…) keeps its name. */
function describeError(e: unknown): string {
  if (isAppError(e) || (e instanceof Error && e.name === 'Error')) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return `${(e as Error).name}: ${(e as Error).message}`;
  return String(e);
}

/** Bytes the record takes, roughly: its typed arrays plus its text. */
function estimateRecordBytes(r: CheckpointRecord): number {
  let bytes = r.trainer.stepLosses.byteLength + (r.trainer.order?.byteLength ?? 0);
  for (const t of r.tensors) bytes += t.data.byteLength + t.name.length * 2 + 64;
  bytes += (JSON.stringify(r.config).length + r.notes.length + JSON.stringify(r.trainer.history).length) * 2;
  return bytes;
}
