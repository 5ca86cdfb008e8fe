/**
 * Following a run from another context: the page's main thread plays the writer (it holds the
 * run's Web Lock and publishes on the run's BroadcastChannel, as a training tab does) while the
 * app's worker follows it with the real `watchRun`. The lock grant and the 'released' message
 * travel by separate routes; the follower must end with the final state whichever arrives first.
 */
import { test, expect } from '@playwright/test';
import { openApp, savedMetas, trainCheckpointed, smallRun, withCheckpoints } from './engine-harness';

interface Trial {
  events: string[];
  metas: string[];
}

test('watchRun always ends with the final state and one released, however the lock and the message race', async ({ page }) => {
  await openApp(page);
  const trials: Trial[] = await page.evaluate(async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const { engine, proxy } = (window as any).__tabTrainer;
    const out: Trial[] = [];
    for (let i = 0; i < 100; i++) {
      const runId = `race-${i}`;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await new Promise<void>((granted) => void navigator.locks.request(`tab-trainer-run:${runId}`, () => (granted(), held)));
      const channel = new BroadcastChannel(`tab-trainer-progress:${runId}`);
      const trial: Trial = { events: [], metas: [] };
      const watched = engine.watchRun(
        runId,
        proxy((e: { type: string; meta?: { id: string } }) => {
          trial.events.push(e.type);
          if (e.meta) trial.metas.push(e.meta.id);
        }),
      );
      // Progress until the watcher has echoed one: it is subscribed, so what follows is not lost.
      const progress = { type: 'progress', progress: { step: 0, epoch: 0 } };
      for (let t = 0; !trial.events.includes('progress'); t++) {
        if (t > 2000) throw new Error(`watchRun of ${runId} never subscribed`);
        channel.postMessage(progress);
        await new Promise((r) => setTimeout(r, 5));
      }
      const meta = { id: `e000001-s000010-final`, runId, kind: 'final', epoch: 1, step: 10, valLoss: 0.5, sizeBytes: 1, createdAt: Date.now(), backend: 'cpu' };
      channel.postMessage({ type: 'checkpoint', meta });
      // Even trials publish 'released' then free the lock at once (the writer's order); odd trials
      // free the lock with no message at all, as a tab that was closed mid-run.
      if (i % 2 === 0) channel.postMessage({ type: 'released' });
      release();
      channel.close();
      await watched;
      await new Promise((r) => setTimeout(r, 20)); // callbacks use their own port
      out.push(trial);
    }
    return out;
  });
  const ended = trials.filter((t) => t.events.at(-1) === 'released' && t.events.filter((e) => e === 'released').length === 1);
  expect(ended.length, JSON.stringify(trials.filter((t) => !ended.includes(t)).slice(0, 3))).toBe(100);
  // The one checkpoint that was published arrives once (the store has no manifest for these ids).
  for (const t of trials) expect(t.metas).toEqual(['e000001-s000010-final']);
});

test('watchRun of a run whose writer already stopped reports its newest checkpoint from the store, then released', async ({ page, context }) => {
  await openApp(page);
  const run = await trainCheckpointed(page, withCheckpoints(smallRun({ epochs: 2 }), { saveEveryEpochs: 1 }), { runId: 'done', notes: '' }, { readout: false });
  expect(run.state).toBe('finished');
  const newest = savedMetas(run).at(-1)!;

  const second = await context.newPage();
  await openApp(second);
  const seen = await second.evaluate(async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const { engine, proxy } = (window as any).__tabTrainer;
    const events: { type: string; meta?: unknown }[] = [];
    await engine.watchRun('done', proxy((e: { type: string; meta?: unknown }) => events.push(e)));
    await new Promise((r) => setTimeout(r, 50));
    return events;
  });
  expect(seen.map((e) => e.type)).toEqual(['checkpoint', 'released']);
  expect(seen[0].meta).toEqual(newest);
});
