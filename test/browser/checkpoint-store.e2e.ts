/**
 * The checkpoint store's own behaviours in real Chromium IndexedDB, through what the app exposes:
 * the engine API (`window.__tabTrainer.engine`, the worker owns the store) and raw IndexedDB from
 * the page (database 'tab-trainer-checkpoints', store 'kv') to inspect and tamper. Each test gets a
 * fresh browser context, so a fresh database. Full storage: checkpoints.e2e.ts.
 */
import { test, expect } from '@playwright/test';
import {
  engineCall,
  listCheckpoints,
  openApp,
  rawGet,
  rawKeys,
  resumeInfo,
  savedMetas,
  smallRun,
  tamperRecord,
  trainCheckpointed,
  wideRun,
  withCheckpoints,
} from './engine-harness';

test.describe('checkpoint store through the engine', () => {
  test('save, list and load round-trip the real Float32Array state; deleteRun removes every trace', async ({ page }) => {
    await openApp(page);
    const config = withCheckpoints(smallRun({ epochs: 2 }), { saveEveryEpochs: 1, keepLast: 3 });
    const run = await trainCheckpointed(page, config, { runId: 'rt', notes: '# notes\nkept in every checkpoint' });
    const saved = savedMetas(run);
    expect(saved.map((m) => [m.epoch, m.kind])).toEqual([[1, 'best'], [2, 'final']]);
    const latest = saved[1];
    expect(latest.id).toBe(`e000002-s${String(latest.step).padStart(9, '0')}-final`);
    expect(latest).toMatchObject({ runId: 'rt', backend: 'cpu', step: run.readout!.step });
    expect(await listCheckpoints(page, 'rt')).toEqual(saved);

    const stored = await rawGet<{ isFloat32: boolean; digests: Record<string, string>; bytes: number; notes: string; manifestLatest: string }>(
      page,
      'ckpt:rt:' + latest.id,
      `return Promise.all(value.tensors.map((t) => crypto.subtle.digest('SHA-256', t.data))).then((hashes) => ({
        isFloat32: value.tensors.every((t) => t.data instanceof Float32Array) && value.trainer.stepLosses instanceof Float32Array,
        digests: Object.fromEntries(value.tensors.map((t, i) => [t.name, Array.from(new Uint8Array(hashes[i]), (b) => b.toString(16).padStart(2, '0')).join('')])),
        bytes: value.tensors.reduce((n, t) => n + t.data.byteLength, 0) + value.trainer.stepLosses.byteLength,
        notes: value.notes,
      }));`,
    );
    expect(stored.isFloat32).toBe(true);
    expect(stored.digests).toEqual(run.readout!.digests); // weights and optimizer slots, bit for bit
    expect(latest.sizeBytes).toBe(stored.bytes);
    expect(stored.notes).toBe('# notes\nkept in every checkpoint');
    expect(await rawGet(page, 'manifest:rt', 'return value.latest;')).toBe(latest.id);
    expect(await rawGet(page, 'runs')).toEqual(['rt']);
    const info = await resumeInfo(page, 'rt');
    expect(info).toMatchObject({ meta: latest, notes: '# notes\nkept in every checkpoint', skipped: [], lockedElsewhere: false });
    expect(info!.stepLosses).toEqual(run.readout!.stepLosses);
    expect(info!.history).toEqual(run.readout!.history);

    expect((await engineCall(page, 'deleteRun', 'rt')).error).toBeUndefined();
    expect(await listCheckpoints(page, 'rt')).toEqual([]);
    expect(await resumeInfo(page, 'rt')).toBeNull();
    expect(await rawKeys(page)).toEqual(['runs']);
    expect(await rawGet(page, 'runs')).toEqual([]);
  });

  test('deleteCheckpoint and cleanupCheckpoints remove records and manifest entries together', async ({ page }) => {
    await openApp(page);
    const config = withCheckpoints(smallRun({ epochs: 4 }), { saveEveryEpochs: 1, saveEverySteps: 10, keepLast: 10 }, { batchSize: 8 });
    const run = await trainCheckpointed(page, config, { runId: 'clean', notes: '' }, { readout: false });
    const listed = await listCheckpoints(page, 'clean');
    const periodic = listed.filter((m) => m.kind === 'periodic');
    expect(periodic.length).toBeGreaterThanOrEqual(3);
    const keys = async () => (await rawKeys(page)).filter((k) => k.startsWith('ckpt:clean:'));
    expect(await keys()).toEqual(listed.map((m) => `ckpt:clean:${m.id}`).sort());

    expect((await engineCall(page, 'deleteCheckpoint', 'clean', periodic[0].id)).error).toBeUndefined();
    const afterDelete = listed.filter((m) => m.id !== periodic[0].id);
    expect(await listCheckpoints(page, 'clean')).toEqual(afterDelete);
    expect(await keys()).toEqual(afterDelete.map((m) => `ckpt:clean:${m.id}`).sort());

    // keepLast 0: every periodic goes; the latest best and the final (also the newest) stay.
    const removed = await engineCall<string[]>(page, 'cleanupCheckpoints', 'clean', 0);
    const best = savedMetas(run).filter((m) => m.kind === 'best').at(-1)!;
    const final = savedMetas(run).at(-1)!;
    expect(final.kind).toBe('final');
    const kept = afterDelete.filter((m) => m.id === best.id || m.id === final.id);
    expect(removed.value).toEqual(afterDelete.filter((m) => !kept.includes(m)).map((m) => m.id));
    expect(await listCheckpoints(page, 'clean')).toEqual(kept);
    expect(await keys()).toEqual(kept.map((m) => `ckpt:clean:${m.id}`).sort());
    expect(await rawGet(page, 'manifest:clean', 'return value.latest;')).toBe(final.id);
  });

  test('unreadable checkpoints are skipped newest first, each with its reason; direct loads fail with their names', async ({ page }) => {
    await openApp(page);
    // Up to 12 saves: a write still going when the next one is due is superseded by design, so plan
    // enough that at least 5 are stored whatever the machine's speed.
    const config = withCheckpoints(smallRun({ epochs: 4 }), { saveEveryEpochs: 1, saveEverySteps: 10, keepLast: 10 }, { batchSize: 8 });
    await trainCheckpointed(page, config, { runId: 'bad', notes: '' }, { readout: false });
    const listed = await listCheckpoints(page, 'bad');
    expect(listed.length).toBeGreaterThanOrEqual(5);
    const [e, d, c, b, a] = listed.slice(-5).reverse(); // e is the newest
    const name0 = await rawGet<string>(page, `ckpt:bad:${e.id}`, 'return value.tensors[0].name;');
    const [name1, shape1] = await rawGet<[string, number[]]>(page, `ckpt:bad:${d.id}`, 'return [value.tensors[1].name, value.tensors[1].shape];');
    const size1 = shape1.reduce((x, y) => x * y, 1);
    await tamperRecord(page, 'bad', e.id, 'record.tensors[0].data[7] = NaN;');
    await tamperRecord(page, 'bad', d.id, 'record.tensors[1].data = record.tensors[1].data.slice(1);'); // truncated
    await tamperRecord(page, 'bad', c.id, 'record.formatVersion = 3;');
    await page.evaluate(async (key) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('tab-trainer-checkpoints');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const tx = db.transaction('kv', 'readwrite');
      tx.objectStore('kv').delete(key); // the record vanishes, the manifest still lists it
      await new Promise((res) => (tx.oncomplete = res));
      db.close();
    }, `ckpt:bad:${b.id}`);

    const info = await resumeInfo(page, 'bad');
    expect(info?.meta).toEqual(a);
    expect(info?.skipped).toEqual([
      { meta: e, reason: `tensor "${name0}" holds NaN at index 7` },
      { meta: d, reason: `tensor "${name1}" holds ${size1 - 1} values, but its shape [${shape1.join(', ')}] needs ${size1}` },
      { meta: c, reason: 'its format version is 3, and this app reads versions 1 to 2' },
      { meta: b, reason: 'its data is missing from browser storage' },
    ]);

    const direct = (id: string) => trainCheckpointed(page, config, { runId: 'bad', notes: '', resumeFrom: id }, { readout: false });
    const nan = await direct(e.id);
    expect(nan.error?.name).toBe('CorruptCheckpointError');
    expect(nan.error?.message).toContain(`"${e.id}" (epoch ${e.epoch}) is unreadable: tensor "${name0}" holds NaN at index 7`);
    expect((await direct(c.id)).error?.name).toBe('UnknownCheckpointVersionError');
    const missing = await direct(b.id);
    expect(missing.error?.name).toBe('CheckpointNotFoundError');
    expect(missing.error?.message).toContain('is not in browser storage');
    // A rejected resume changes nothing.
    expect(await listCheckpoints(page, 'bad')).toEqual(listed);

    // When nothing is readable, resumeInfo is null and resuming names every reason.
    for (const m of listed.filter((x) => ![e, d, c, b].includes(x))) await tamperRecord(page, 'bad', m.id, 'record.trainer.rng = [0, 0, 0, 0];');
    expect(await resumeInfo(page, 'bad')).toBeNull();
    const none = await direct('latest');
    expect(none.error?.name).toBe('CorruptCheckpointError');
    expect(none.error?.message).toMatch(/^No checkpoint of run bad can be resumed: /);
    expect(none.error?.message).toContain(`epoch ${a.epoch} ("${a.id}"): trainer.rng is all zero, which is not a valid generator state`);
  });

  test('closing the tab that trains a run releases its lock to another tab', async ({ page, context }) => {
    await openApp(page);
    let firstSaved!: () => void;
    const saved = new Promise<void>((r) => (firstSaved = r));
    await page.exposeFunction('__report', (m: { type: string; event?: { saved?: unknown } }) => {
      if (m.type === 'checkpoint' && m.event?.saved) firstSaved();
    });
    const config = withCheckpoints(wideRun({ epochs: 40, units: 128 }), { saveEveryEpochs: 1, keepLast: 2 });
    void trainCheckpointed(page, config, { runId: 'tab', notes: '' }, { report: true, readout: false }).catch(() => {});
    await saved;

    const second = await context.newPage();
    await openApp(second);
    expect((await resumeInfo(second, 'tab'))?.lockedElsewhere).toBe(true);
    await page.close(); // its worker goes with it, and the Web Lock with the worker
    await expect.poll(async () => (await resumeInfo(second, 'tab'))?.lockedElsewhere).toBe(false);
    const info = (await resumeInfo(second, 'tab'))!;
    const takeover = await trainCheckpointed(second, config, { runId: 'tab', notes: '', resumeFrom: 'latest' }, { stopAtEpoch: info.meta.epoch + 1, readout: false });
    expect(takeover.state).toBe('stopped');
    expect(takeover.events.find((e) => e.resumed)?.resumed?.meta).toEqual(info.meta);
  });
});
