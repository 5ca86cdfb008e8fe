/**
 * The checkpoint store in real Chromium IndexedDB, driven through `window.__tabTrainer.checkpoints`
 * (src/checkpoint/index.ts as the app exposes it). Each test gets a fresh browser context, so a
 * fresh database.
 */
import { test, expect, type Page } from '@playwright/test';
import type * as Checkpoints from '../../src/checkpoint/index';
import type { CheckpointKind, CheckpointRecord } from '../../src/shared/checkpoint';

interface TestWindow {
  __tabTrainer: { checkpoints: typeof Checkpoints };
  __ckptTest: {
    makeRecord(runId: string, epoch: number, kind: CheckpointKind, values: number): CheckpointRecord;
    rawGet(key: string): Promise<unknown>;
    rawPut(key: string, value: unknown): Promise<void>;
    rawKeys(): Promise<string[]>;
    lock?: { release(): void } | null;
    messages: unknown[];
  };
}
declare const window: TestWindow & Window;

/** Runs in the page before its scripts: a record factory and raw IndexedDB access for tampering. */
function installHelpers(): void {
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tab-trainer-checkpoints');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  const run = async <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) => {
    const db = await open();
    try {
      const req = fn(db.transaction('kv', mode).objectStore('kv'));
      return await new Promise<T>((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    } finally {
      db.close();
    }
  };
  (window as unknown as TestWindow).__ckptTest = {
    makeRecord(runId, epoch, kind, values) {
      // Deterministic, non-trivial data: a sine of the index and epoch.
      const data = new Float32Array(values);
      for (let i = 0; i < values; i++) data[i] = Math.sin(i * 0.001 + epoch);
      const steps = epoch * 4;
      return {
        formatVersion: 1,
        meta: { id: `e${String(epoch).padStart(6, '0')}-s${String(steps).padStart(6, '0')}-${kind}`, runId, kind, epoch, step: steps, valLoss: 1 / (epoch + 1), sizeBytes: 0, createdAt: Date.now(), backend: 'cpu' },
        config: { data: { dataset: 'spiral' }, model: { name: 'Custom', layers: [] }, train: { epochs: 10 } } as unknown as CheckpointRecord['config'],
        notes: `notes at epoch ${epoch}`,
        trainer: {
          epoch,
          step: steps,
          batchInEpoch: 0,
          order: null,
          rng: [1, 2, 3, epoch],
          stepLosses: new Float32Array(steps).fill(0.25),
          history: [],
          best: null,
          trainTimeMs: epoch * 100,
          optimizerStep: steps,
        },
        tensors: [
          { name: '0.kernel', shape: [values], dtype: 'float32', data },
          { name: '0.bias', shape: [2, 2], dtype: 'float32', data: new Float32Array([epoch, -1.5, 0, 3e-38]) },
        ],
      };
    },
    rawGet: (key) => run('readonly', (s) => s.get(key)),
    rawPut: (key, value) => run('readwrite', (s) => s.put(value, key)).then(() => undefined),
    rawKeys: () => run('readonly', (s) => s.getAllKeys()).then((keys) => keys.map(String)),
    messages: [],
  };
}

async function openStore(page: Page): Promise<void> {
  await page.addInitScript(installHelpers);
  await page.goto('/');
  await page.waitForFunction(() => Boolean((window as unknown as TestWindow).__tabTrainer?.checkpoints));
}

test.describe('checkpoint store in Chromium IndexedDB', () => {
  test('save, list and load round-trip real Float32Array data', async ({ page }) => {
    await openStore(page);
    const result = await page.evaluate(async () => {
      const c = window.__tabTrainer.checkpoints;
      const saved = window.__ckptTest.makeRecord('run-rt', 3, 'manual', 100_003);
      const { meta, deleted } = await c.saveCheckpoint(saved, { keepLast: 3 });
      await c.setCurrentRun('run-rt');
      const loaded = await c.loadCheckpoint('run-rt', meta.id, { tensors: [{ name: '0.kernel', shape: [100_003] }, { name: '0.bias', shape: [2, 2] }] });
      const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
      return {
        meta,
        deleted,
        isFloat32: loaded.tensors[0].data instanceof Float32Array,
        tensorsEqual: loaded.tensors.every((t, i) => same(t.data, saved.tensors[i].data)),
        stepLossesEqual: same(loaded.trainer.stepLosses, saved.trainer.stepLosses),
        notes: loaded.notes,
        runs: (await c.listRuns()).map((m) => ({ runId: m.runId, latest: m.latest, ids: m.checkpoints.map((x) => x.id) })),
        current: await c.getCurrentRun(),
      };
    });
    expect(result.deleted).toEqual([]);
    expect(result.meta.id).toBe('e000003-s000012-manual');
    expect(result.meta.sizeBytes).toBeGreaterThan(400_000);
    expect(result.isFloat32).toBe(true);
    expect(result.tensorsEqual).toBe(true);
    expect(result.stepLossesEqual).toBe(true);
    expect(result.notes).toBe('notes at epoch 3');
    expect(result.runs).toEqual([{ runId: 'run-rt', latest: 'e000003-s000012-manual', ids: ['e000003-s000012-manual'] }]);
    expect(result.current).toBe('run-rt');

    const afterDelete = await page.evaluate(async () => {
      const c = window.__tabTrainer.checkpoints;
      await c.deleteRun('run-rt');
      return { runs: await c.listRuns(), current: await c.getCurrentRun(), keys: await window.__ckptTest.rawKeys(), manifest: await c.loadManifest('run-rt') };
    });
    expect(afterDelete).toEqual({ runs: [], current: null, keys: ['runs'], manifest: null });
  });

  test('retention keeps exactly K periodic + the latest best + the latest final over 10 saves', async ({ page }) => {
    await openStore(page);
    const result = await page.evaluate(async () => {
      const c = window.__tabTrainer.checkpoints;
      const kinds = ['periodic', 'best', 'periodic', 'periodic', 'best', 'periodic', 'periodic', 'periodic', 'periodic', 'final'] as const;
      const deleted: string[] = [];
      for (let i = 0; i < kinds.length; i++) {
        deleted.push(...(await c.saveCheckpoint(window.__ckptTest.makeRecord('run-ret', i + 1, kinds[i], 1000), { keepLast: 3 })).deleted);
      }
      const manifest = await c.loadManifest('run-ret');
      const keys = (await window.__ckptTest.rawKeys()).filter((k) => k.startsWith('ckpt:')).sort();
      let missing = '';
      await c.loadCheckpoint('run-ret', 'e000001-s000004-periodic').catch((e: Error) => (missing = e.name));
      return { deleted, ids: manifest!.checkpoints.map((m) => m.id), latest: manifest!.latest, keys, missing };
    });
    const kept = ['e000005-s000020-best', 'e000007-s000028-periodic', 'e000008-s000032-periodic', 'e000009-s000036-periodic', 'e000010-s000040-final'];
    expect(result.ids).toEqual(kept);
    expect(result.latest).toBe('e000010-s000040-final');
    expect(result.keys).toEqual(kept.map((id) => `ckpt:run-ret:${id}`));
    expect(result.deleted.sort()).toEqual(['e000001-s000004-periodic', 'e000002-s000008-best', 'e000003-s000012-periodic', 'e000004-s000016-periodic', 'e000006-s000024-periodic']);
    expect(result.missing).toBe('CorruptCheckpointError');
  });

  test('a corrupted latest checkpoint falls back to the previous one and says why', async ({ page }) => {
    await openStore(page);
    const result = await page.evaluate(async () => {
      const c = window.__tabTrainer.checkpoints;
      const t = window.__ckptTest;
      for (let epoch = 1; epoch <= 3; epoch++) await c.saveCheckpoint(t.makeRecord('run-bad', epoch, 'periodic', 5000), { keepLast: 5 });
      // epoch 3: a NaN in the weights; epoch 2: a tensor shorter than its shape.
      const third = (await t.rawGet('ckpt:run-bad:e000003-s000012-periodic')) as CheckpointRecord;
      third.tensors[0].data[7] = NaN;
      await t.rawPut('ckpt:run-bad:e000003-s000012-periodic', third);
      const second = (await t.rawGet('ckpt:run-bad:e000002-s000008-periodic')) as CheckpointRecord;
      second.tensors[1].data = new Float32Array(3);
      await t.rawPut('ckpt:run-bad:e000002-s000008-periodic', second);

      const fallback = await c.loadLatestValid('run-bad');
      let direct = { name: '', message: '' };
      await c.loadCheckpoint('run-bad', 'e000003-s000012-periodic').catch((e: Error) => (direct = { name: e.name, message: e.message }));
      // The caller's own check (e.g. against the model) can refuse a record too.
      const refused = await c.loadLatestValid('run-bad', (r) => {
        if (r.meta.epoch === 1) throw new Error('the model has 3 layers, this checkpoint 2');
      }).catch((e: Error) => ({ name: e.name, message: e.message }));
      return {
        resumedEpoch: fallback?.record.meta.epoch,
        skipped: fallback?.skipped.map((s) => ({ epoch: s.meta.epoch, reason: s.reason })),
        direct,
        refused,
      };
    });
    expect(result.resumedEpoch).toBe(1);
    expect(result.skipped).toEqual([
      { epoch: 3, reason: 'tensor "0.kernel" holds NaN at index 7' },
      { epoch: 2, reason: 'tensor "0.bias" holds 3 values, but its shape [2, 2] needs 4' },
    ]);
    expect(result.direct.name).toBe('CorruptCheckpointError');
    expect(result.direct.message).toContain('"e000003-s000012-periodic" (epoch 3) is unreadable: tensor "0.kernel" holds NaN at index 7');
    expect(result.refused).toMatchObject({ name: 'CorruptCheckpointError' });
    expect((result.refused as { message: string }).message).toContain('epoch 1 ("e000001-s000004-periodic"): the model has 3 layers, this checkpoint 2');
  });

  test('a save that does not fit throws StorageFullError and keeps the last good checkpoint', async ({ page }) => {
    await openStore(page);
    const cdp = await page.context().newCDPSession(page);
    const origin = new URL(page.url()).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 50 * 1024 * 1024 });
    try {
      const result = await page.evaluate(async () => {
        const c = window.__tabTrainer.checkpoints;
        const t = window.__ckptTest;
        const MB = 1024 * 1024 / 4; // float32 values per MiB
        // 3 × 12 MiB fit in 50 MiB; a 20 MiB save fits only once the two older periodic ones are gone.
        for (let epoch = 1; epoch <= 3; epoch++) await c.saveCheckpoint(t.makeRecord('run-full', epoch, 'periodic', 12 * MB), { keepLast: 5 });
        const squeezed = await c.saveCheckpoint(t.makeRecord('run-full', 4, 'periodic', 20 * MB), { keepLast: 5 });
        // 80 MiB cannot fit at all.
        let error = { name: '', message: '', cause: '' };
        await c
          .saveCheckpoint(t.makeRecord('run-full', 5, 'periodic', 80 * MB), { keepLast: 5 })
          .catch((e: Error) => (error = { name: e.name, message: e.message, cause: (e.cause as Error)?.name }));
        const manifest = await c.loadManifest('run-full');
        const latest = await c.loadLatestValid('run-full');
        return {
          squeezedDeleted: squeezed.deleted,
          error,
          ids: manifest!.checkpoints.map((m) => m.id),
          resumedEpoch: latest?.record.meta.epoch,
          skipped: latest?.skipped.length,
          intact: latest?.record.tensors[0].data[12345] === Math.fround(Math.sin(12345 * 0.001 + 4)),
        };
      });
      expect(result.squeezedDeleted).toEqual(['e000001-s000004-periodic', 'e000002-s000008-periodic']);
      expect(result.error.name).toBe('StorageFullError');
      expect(result.error.cause).toBe('QuotaExceededError');
      expect(result.error.message).toBe(
        'Browser storage is full: checkpoint at epoch 5 was not saved. The last good checkpoint (epoch 4) is kept. Delete old checkpoints or download them, then Save now.',
      );
      expect(result.ids).toEqual(['e000004-s000016-periodic']);
      expect(result.resumedEpoch).toBe(4);
      expect(result.skipped).toBe(0);
      expect(result.intact).toBe(true);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    }
  });

  test('one writer per run: a second tab gets the lock only after the first releases or closes', async ({ page }) => {
    await openStore(page);
    const second = await page.context().newPage();
    await openStore(second);
    const acquire = (p: Page) =>
      p.evaluate(async () => {
        window.__ckptTest.lock = await window.__tabTrainer.checkpoints.acquireRunLock('run-lock');
        return window.__ckptTest.lock !== null;
      });

    expect(await acquire(page)).toBe(true);
    expect(await acquire(second)).toBe(false);

    // The second tab watches the run read-only and waits to take it over.
    await second.evaluate(() => {
      const c = window.__tabTrainer.checkpoints;
      c.openProgressChannel('run-lock').subscribe((m) => window.__ckptTest.messages.push(m));
      void c.waitForRunLock('run-lock').then((lock) => (window.__ckptTest.lock = lock));
    });
    await page.evaluate(() => {
      const channel = window.__tabTrainer.checkpoints.openProgressChannel('run-lock');
      channel.publish({ type: 'progress', progress: { type: 'progress', epoch: 2, epochs: 10, step: 40, stepsPerEpoch: 20, losses: [0.5], samplesPerSec: 1000, etaSec: 8, learningRate: 0.01, state: 'training', numTensors: 12 } });
      channel.publish({ type: 'released' });
      channel.close();
    });
    await expect.poll(() => second.evaluate(() => window.__ckptTest.messages.map((m) => (m as { type: string }).type))).toEqual(['progress', 'released']);
    expect(await second.evaluate(() => window.__ckptTest.lock)).toBeNull();

    await page.evaluate(() => window.__ckptTest.lock!.release());
    await expect.poll(() => second.evaluate(() => window.__ckptTest.lock !== null)).toBe(true);
    expect(await acquire(page)).toBe(false);

    // Closing the holder's tab frees the lock too.
    const third = await page.context().newPage();
    await openStore(third);
    await third.evaluate(() => {
      void window.__tabTrainer.checkpoints.waitForRunLock('run-lock').then((lock) => (window.__ckptTest.lock = lock));
    });
    await second.close();
    await expect.poll(() => third.evaluate(() => window.__ckptTest.lock != null)).toBe(true);
  });
});
