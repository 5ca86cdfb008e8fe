/**
 * Checkpointed runs end to end, in the built app's real worker: exact resume across a page reload,
 * fallback past a corrupted latest checkpoint, full storage, a second writer, a lost GPU device and
 * retention. Each test gets a fresh browser context, so a fresh IndexedDB.
 */
import { createHash } from 'node:crypto';
import { test, expect, type Page } from '@playwright/test';
import type { CheckpointEvent } from '../../src/shared/engine-api';
import { previewOrigin } from '../../playwright.config';
import { decodeCheckpointBundle } from '../../src/bundle';
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
  type CheckpointedResult,
  type StateReadout,
} from './engine-harness';

// The tests here lower the origin's quota to a few MB; the app's offline cache (about 12 MB that the
// service worker precaches) would count against it. They test the checkpoint store, so no service worker.
test.use({ serviceWorkers: 'block' });

/** Every field of two readouts bit-identical (tensor values, optimizer slots, RNG, losses, history). */
function expectIdentical(actual: StateReadout, expected: StateReadout): void {
  expect(Object.keys(actual.tensors)).toEqual(Object.keys(expected.tensors));
  for (const name of Object.keys(expected.tensors)) expect(actual.tensors[name], name).toEqual(expected.tensors[name]);
  expect(actual.digests).toEqual(expected.digests);
  expect(actual.rng).toEqual(expected.rng);
  expect(actual.stepLosses).toEqual(expected.stepLosses);
  expect(actual.history).toEqual(expected.history);
  expect([actual.step, actual.epoch, actual.batchInEpoch]).toEqual([expected.step, expected.epoch, expected.batchInEpoch]);
}

/** Same loss curve (per step and per epoch) within `tol`, relative to max(1, |x|). */
function expectSameCurve(actual: StateReadout, expected: StateReadout, tol: number): void {
  expect(actual.step).toBe(expected.step);
  expect(actual.stepLosses).toHaveLength(expected.stepLosses.length);
  const worst = Math.max(...expected.stepLosses.map((x, i) => Math.abs(actual.stepLosses[i] - x) / Math.max(1, Math.abs(x))));
  expect(worst).toBeLessThanOrEqual(tol);
  expect(actual.history).toHaveLength(expected.history.length);
  expected.history.forEach((h, i) => {
    expect(Math.abs(actual.history[i].trainLoss - h.trainLoss)).toBeLessThanOrEqual(tol);
    expect(Math.abs(actual.history[i].valLoss - h.valLoss)).toBeLessThanOrEqual(tol);
  });
}

const resumedEvent = (r: CheckpointedResult): NonNullable<CheckpointEvent['resumed']> => {
  const e = r.events.find((x) => x.resumed);
  expect(e, 'a resumed CheckpointEvent').toBeDefined();
  return e!.resumed!;
};

async function reload(page: Page): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => '__tabTrainer' in window);
}

test.describe('exact resume after a full page reload', () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    test(`${backend}: 2N epochs straight equal N epochs, reload, N more`, async ({ page }) => {
      await openApp(page);
      const config = withCheckpoints(smallRun({ backend, epochs: 4 }), { saveEveryEpochs: 1, keepLast: 10 });
      const straight = await trainCheckpointed(page, config, { runId: 'straight', notes: '' });
      expect(straight.state).toBe('finished');
      expect(straight.backend).toBe(backend);
      const spe = straight.epochEnds[0];

      // N epochs as a run of their own: it ends with a committed 'final' checkpoint at the boundary.
      // (Stopping a 2N run at epoch N is racy: the stop lands a step or more later, and a slow write of
      // the epoch-N checkpoint can be replaced in the autosaver's one-slot queue by the next snapshot.)
      const first = await trainCheckpointed(page, { ...config, train: { ...config.train, epochs: 2 } }, { runId: 'split', notes: '' }, { readout: false });
      expect(first.state).toBe('finished');
      const boundary = savedMetas(first).at(-1)!;
      expect(boundary).toMatchObject({ kind: 'final', epoch: 2, step: 2 * spe });

      await reload(page);
      const info = await resumeInfo(page, 'split');
      expect(info?.meta).toEqual(boundary);
      // N more: the product's "train N more epochs" (the constant LR schedule makes the plan irrelevant).
      const resumed = await trainCheckpointed(page, config, { runId: 'split', notes: '', resumeFrom: 'latest', extraEpochs: 2 });
      expect(resumed.state).toBe('finished');
      expect(resumed.backend).toBe(backend);
      expect(resumedEvent(resumed)).toEqual({ meta: boundary, skipped: [] });
      expect(Object.keys(resumed.readout!.tensors)).toContain('0.kernel.exp_avg_sq');
      if (backend === 'cpu') expectIdentical(resumed.readout!, straight.readout!);
      else expectSameCurve(resumed.readout!, straight.readout!, 1e-6);
    });

    test(`${backend}: a mid-epoch checkpoint resumes the same run`, async ({ page }) => {
      await openApp(page);
      // Batches of 8 (cpu: 240 training samples, 30 steps an epoch; webgpu: 120 samples, 15 steps).
      // cpu steps are fast: plan 10 epochs so the stop requested at step spe+5 lands long before the end.
      const base = smallRun({ backend, epochs: backend === 'cpu' ? 10 : 2 });
      if (backend === 'webgpu') base.data = { ...base.data, samples: 150 };
      const config = withCheckpoints(base, { saveEveryEpochs: 1, saveEverySteps: 5, keepLast: 10 }, { batchSize: 8 });
      const straight = await trainCheckpointed(page, config, { runId: 'straight', notes: '' });
      expect(straight.state).toBe('finished');
      const spe = straight.epochEnds[0];
      expect(spe).toBe(backend === 'cpu' ? 30 : 15);

      // Stop once the periodic save of step spe+5 committed: the run stops a step or a few later, mid-epoch,
      // and the engine saves a 'manual' checkpoint there.
      const first = await trainCheckpointed(page, config, { runId: 'mid', notes: '' }, { stopAtSavedStep: spe + 5, readout: false });
      expect(first.state).toBe('stopped');
      const last = savedMetas(first).at(-1)!;
      expect(last.step % spe, `stopped at step ${last.step}, not an epoch boundary`).not.toBe(0);
      expect(first.events.every((e) => !e.error)).toBe(true);

      await reload(page);
      const resumed = await trainCheckpointed(page, config, { runId: 'mid', notes: '', resumeFrom: 'latest' });
      expect(resumed.state).toBe('finished');
      expect(resumedEvent(resumed).meta).toEqual(last);
      if (backend === 'cpu') expectIdentical(resumed.readout!, straight.readout!);
      else expectSameCurve(resumed.readout!, straight.readout!, 1e-6);
    });
  }
});

test('a corrupted latest checkpoint is skipped with its reason; resume falls back to the previous one', async ({ page }) => {
  await openApp(page);
  const config = withCheckpoints(smallRun({ epochs: 3 }), { saveEveryEpochs: 1, keepLast: 10 });
  const original = await trainCheckpointed(page, config, { runId: 'bad', notes: 'n' });
  const saved = savedMetas(original);
  expect(saved.map((m) => m.epoch)).toEqual([1, 2, 3]);
  // Retention keeps only the latest 'best', so the list may be shorter than the saves.
  const [second, latest] = (await listCheckpoints(page, 'bad')).slice(-2);
  expect(second.epoch).toBe(2);
  expect(latest.kind).toBe('final');
  const tensorName = await rawGet<string>(page, `ckpt:bad:${latest.id}`, 'return value.tensors[0].name;');
  await tamperRecord(page, 'bad', latest.id, 'record.tensors[0].data[5] = NaN;');

  const reason = `tensor "${tensorName}" holds NaN at index 5`;
  const info = await resumeInfo(page, 'bad');
  expect(info?.meta).toEqual(second);
  expect(info?.skipped).toEqual([{ meta: latest, reason }]);

  await reload(page);
  const resumed = await trainCheckpointed(page, config, { runId: 'bad', notes: 'n', resumeFrom: 'latest' });
  expect(resumed.state).toBe('finished');
  expect(resumedEvent(resumed)).toEqual({ meta: second, skipped: [{ meta: latest, reason }] });
  // Epoch 3 trained again from epoch 2's checkpoint is the same epoch 3, bit for bit; its new final
  // checkpoint replaces the corrupted one.
  expectIdentical(resumed.readout!, original.readout!);
  expect((await resumeInfo(page, 'bad'))?.skipped).toEqual([]);
});

test('full storage: saves fail with StorageFullError, training goes on, the last good checkpoint stays loadable', async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  const origin = previewOrigin;
  // Chromium's IndexedDB caches the space left and re-asks the quota manager only now and then,
  // so the quota is lowered before the first write: room for one ~3.2 MB checkpoint (retention keeps only the latest 'best', so nothing can be freed).
  // Before the app loads: the page's own IndexedDB use would otherwise fix the cached figure first.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 5 * 1024 * 1024 });
  await openApp(page);
  const config = withCheckpoints(wideRun({ epochs: 6 }), { saveEveryEpochs: 1, keepLast: 2 });
  try {
    const run = await trainCheckpointed(page, config, { runId: 'full', notes: '' }, { readout: 'digest' });
    console.log(`full storage: ${JSON.stringify(run.events.map((e) => e.error?.name ?? e.saved?.id))}`);
    expect(run.state).toBe('finished');
    expect(run.readout!.epoch).toBe(6);
    const errors = run.events.flatMap((e) => (e.error ? [e.error] : []));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    // Each message names the checkpoint saved before it. Under load Chromium's quota cache can also
    // refuse the very first save (seen in CI); then the message says so, and a later save fits.
    let savedBefore: number | null = null;
    for (const e of run.events) {
      if (e.saved) savedBefore = e.saved.epoch;
      if (!e.error) continue;
      expect(e.error.name).toBe('StorageFullError');
      expect(e.error.message).toMatch(
        savedBefore === null
          ? /^Browser storage is full: checkpoint at epoch \d+ was not saved\. There is no earlier checkpoint of this run/
          : new RegExp(`^Browser storage is full: checkpoint at epoch \\d+ was not saved\\. The last good checkpoint \\(epoch ${savedBefore}\\) is kept\\.`),
      );
    }
    const lastGood = savedMetas(run).at(-1)!;
    expect(lastGood.epoch).toBeGreaterThanOrEqual(1);
    expect(lastGood.epoch).toBeLessThan(6);
    expect(errors.at(-1)!.message).toContain(`The last good checkpoint (epoch ${lastGood.epoch}) is kept.`);

    const info = await resumeInfo(page, 'full');
    expect(info?.meta).toEqual(lastGood);
    expect(info?.skipped).toEqual([]);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
  // With the quota back, the last good checkpoint resumes and the run finishes from there.
  const lastGood = (await resumeInfo(page, 'full'))!.meta;
  const resumed = await trainCheckpointed(page, config, { runId: 'full', notes: '', resumeFrom: 'latest' }, { readout: 'digest' });
  expect(resumed.state).toBe('finished');
  expect(resumedEvent(resumed).meta).toEqual(lastGood);
  expect(resumed.events.filter((e) => e.error)).toEqual([]);
});

test('a disk too small for any checkpoint: every save fails, and Download still exports the live trained state', async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  // Smaller than one ~3.2 MB checkpoint, set before the app's first write (see the test above).
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: previewOrigin, quotaSize: 1024 * 1024 });
  await openApp(page);
  const config = withCheckpoints(wideRun({ epochs: 2 }), { saveEveryEpochs: 1, keepLast: 2 });
  try {
    const run = await trainCheckpointed(page, config, { runId: 'tiny', notes: 'kept' }, { readout: 'digest' });
    expect(run.state).toBe('finished');
    expect(savedMetas(run)).toEqual([]);
    const errors = run.events.flatMap((e) => (e.error ? [e.error] : []));
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.at(-1)!.message).toContain('There is no earlier checkpoint of this run');
    expect(await resumeInfo(page, 'tiny')).toBeNull();
    const file = await page.evaluate(async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { engine } = (window as any).__tabTrainer;
      const { fileName, bytes } = await engine.exportCheckpoint('tiny', 'live', 'bundle', 'Full disk');
      return { fileName, bytes: Array.from(bytes as Uint8Array) };
    });
    expect(file.fileName).toBe('Full-disk-epoch2.pt');
    const decoded = decodeCheckpointBundle(new Uint8Array(file.bytes), file.fileName);
    if (decoded.kind !== 'bundle') throw new Error(`expected our bundle, got ${decoded.kind}`);
    expect(decoded.record.meta.epoch).toBe(2);
    expect(decoded.record.trainer.step).toBe(run.readout!.step);
    expect(decoded.record.trainer.history.length).toBe(2);
    expect(decoded.record.notes).toBe('kept');
    // The file holds exactly the weights and optimizer slots the worker trained.
    const sha = (d: Float32Array) => createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex');
    const stored = Object.fromEntries(decoded.record.tensors.map((t) => [t.name, sha(t.data)]));
    expect(stored).toEqual(run.readout!.digests);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: previewOrigin });
  }
});

test('one writer per run: a second tab gets RunLockedError until the first releases the run', async ({ page, context }) => {
  await openApp(page);
  let firstSaved!: () => void;
  const saved = new Promise<void>((r) => (firstSaved = r));
  await page.exposeFunction('__report', (m: { type: string; event?: CheckpointEvent }) => {
    if (m.type === 'checkpoint' && m.event?.saved) firstSaved();
  });
  const config = withCheckpoints(wideRun({ epochs: 40, units: 256 }), { saveEveryEpochs: 1, keepLast: 2 });
  const running = trainCheckpointed(page, config, { runId: 'shared', notes: '' }, { report: true, readout: false });
  await saved;

  const second = await context.newPage();
  await openApp(second);
  const refused = await trainCheckpointed(second, config, { runId: 'shared', notes: '' });
  expect(refused.state).toBe('rejected');
  expect(refused.error?.name).toBe('RunLockedError');
  expect((await resumeInfo(second, 'shared'))?.lockedElsewhere).toBe(true);
  expect((await resumeInfo(page, 'shared'))?.lockedElsewhere).toBe(false); // it is this tab's own run
  // Another run id is not blocked.
  const other = await trainCheckpointed(second, withCheckpoints(smallRun({ epochs: 1 }), { saveEveryEpochs: 1 }), { runId: 'other', notes: '' }, { readout: false });
  expect(other.state).toBe('finished');

  // The second tab watches; the first stops, which saves a manual checkpoint and releases the run.
  const watched = second.evaluate(async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const w = window as any;
    w.__watched = [] as string[];
    await w.__tabTrainer.engine.watchRun('shared', w.__tabTrainer.proxy((e: { type: string }) => w.__watched.push(e.type)));
  });
  await second.waitForTimeout(300); // let the watcher subscribe
  await engineCall(page, 'stop');
  const first = await running;
  expect(first.state).toBe('stopped');
  await watched; // resolves on 'released'
  // The callbacks travel on their own MessagePort, so they may arrive after watchRun resolved.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await expect.poll(() => second.evaluate(() => (window as any).__watched.at(-1))).toBe('released');
  const info = await resumeInfo(second, 'shared');
  expect(info?.lockedElsewhere).toBe(false);
  expect(info?.meta).toEqual(savedMetas(first).at(-1));

  const takeover = await trainCheckpointed(second, withCheckpoints(config, { saveEveryEpochs: 1, keepLast: 2 }, { epochs: info!.meta.epoch + 1 }), {
    runId: 'shared',
    notes: '',
    resumeFrom: 'latest',
    extraEpochs: 1,
  }, { readout: false });
  expect(takeover.error).toBeUndefined();
  expect(takeover.state).toBe('finished');
  expect(resumedEvent(takeover).meta).toEqual(info!.meta);
});

test('webgpu: a destroyed device rejects with GpuDeviceLostError; a fresh worker resumes from the last checkpoint', async ({ page, context }) => {
  await openApp(page);
  const config = withCheckpoints(smallRun({ backend: 'webgpu', epochs: 5 }), { saveEveryEpochs: 1, keepLast: 10 });
  const lost = await trainCheckpointed(page, config, { runId: 'gpu', notes: '' }, { destroyGpuAtEpoch: 2 });
  expect(lost.backend).toBe('webgpu');
  expect(lost.state).toBe('rejected');
  expect(lost.error?.name).toBe('GpuDeviceLostError');
  const saved = savedMetas(lost);
  const last = saved.at(-1)!;
  expect(last.epoch).toBeGreaterThanOrEqual(2);
  expect(last.epoch).toBeLessThan(5);
  expect(lost.events.filter((e) => e.error)).toEqual([]);
  const deleted = new Set(lost.events.flatMap((e) => e.deleted ?? []));
  expect(await listCheckpoints(page, 'gpu')).toEqual(saved.filter((m) => !deleted.has(m.id)));
  const info = await resumeInfo(page, 'gpu');
  expect(info?.meta).toEqual(last);
  expect(info?.skipped).toEqual([]);

  const fresh = await context.newPage();
  await openApp(fresh);
  const resumed = await trainCheckpointed(fresh, config, { runId: 'gpu', notes: '', resumeFrom: 'latest' });
  expect(resumed.state).toBe('finished');
  expect(resumed.backend).toBe('webgpu');
  expect(resumedEvent(resumed)).toEqual({ meta: last, skipped: [] });
  expect(resumed.readout!.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
  expect(resumed.readout!.stepLosses.slice(0, last.step)).toEqual(info!.stepLosses);
});

test('retention keeps exactly the last K periodic, the latest best and the final checkpoint', async ({ page }) => {
  await openApp(page);
  // 30 steps an epoch, a save every 10 steps and at every epoch end: periodic saves mid-epoch,
  // 'best' at epoch ends that improved validation loss, 'periodic' at the others, 'final' at the end.
  const config = withCheckpoints(smallRun({ epochs: 6 }), { saveEveryEpochs: 1, saveEverySteps: 10, keepLast: 2 }, { batchSize: 8 });
  const run = await trainCheckpointed(page, config, { runId: 'ret', notes: '' }, { readout: false });
  expect(run.state).toBe('finished');
  const saved = savedMetas(run);
  const periodic = saved.filter((m) => m.kind === 'periodic');
  const best = saved.filter((m) => m.kind === 'best');
  const final = saved.filter((m) => m.kind === 'final');
  expect(periodic.length).toBeGreaterThanOrEqual(4);
  expect(best.length).toBeGreaterThanOrEqual(2);
  expect(final).toHaveLength(1);
  expect(saved.at(-1)).toEqual(final[0]);
  // Epoch-end saves: 'best' exactly when that epoch's val loss is the lowest so far.
  let bestSoFar = Infinity;
  for (const m of saved.filter((x) => x.step % 30 === 0 && x.kind !== 'final')) {
    expect(m.kind).toBe(m.valLoss < bestSoFar ? 'best' : 'periodic');
    bestSoFar = Math.min(bestSoFar, m.valLoss);
  }

  const expected = saved.filter((m) => periodic.slice(-2).includes(m) || m === best.at(-1) || m === final[0]);
  expect(expected).toHaveLength(4);
  const listed = await listCheckpoints(page, 'ret');
  expect(listed.map((m) => m.id)).toEqual(expected.map((m) => m.id));
  expect((await rawKeys(page)).filter((k) => k.startsWith('ckpt:ret:'))).toEqual(expected.map((m) => `ckpt:ret:${m.id}`).sort());
  const deleted = run.events.flatMap((e) => e.deleted ?? []);
  expect(new Set(deleted).size).toBe(deleted.length);
  expect(deleted.sort()).toEqual(saved.filter((m) => !expected.includes(m)).map((m) => m.id).sort());
});

