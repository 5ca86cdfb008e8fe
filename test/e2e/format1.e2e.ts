/**
 * What users already have keeps working: checkpoint format 1, as the release of 6cbe125 stored it in
 * IndexedDB and wrote it to .pt bundles, resumes to exactly the losses that build's uninterrupted runs
 * had (CPU backend, bit for bit). The fixtures were made by that build through the UI, and
 * test/fixtures/format1/README.md says how to remake them: a stored Chromium profile whose notebook's
 * run is a CSV run (the CSV text inside the notebook and every checkpoint record) stopped after
 * epoch 2 of 4, beside an older spiral run; and two downloaded bundles, a spiral run's and the CSV
 * run's (its config carries the CSV text too).
 */
import { test, expect, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchAtFixedOrigin } from './fixed-origin';

const FIXTURES = 'test/fixtures/format1';

interface ExpectedRun {
  epochs: number;
  step: number;
  stepLosses: number[];
  history: Array<{ epoch: number; trainLoss: number; valLoss: number; valAccuracy?: number; trainAccuracy?: number }>;
}
interface StoppedAt {
  epoch: number;
  step: number;
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  profile: { current: StoppedAt & { runId: string; csvFile: string }; older: StoppedAt & { runId: string } };
  bundles: Record<'spiral' | 'csv', StoppedAt & { file: string }>;
  runs: Record<'spiral' | 'csv', ExpectedRun>;
};

const trainCell = (page: Page) => page.getByRole('region', { name: 'Train', exact: true });
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });

async function readRun(page: Page) {
  return page.evaluate(async () => {
    const s = await window.__tabTrainer!.engine.readState();
    return { step: s.step, epoch: s.epoch, stepLosses: Array.from(s.stepLosses), history: s.history };
  });
}

/**
 * Clicks `button` (Resume training, or a checkpoint's Resume from here) and waits for the run's last
 * epoch; returns what the engine then holds. Also checks every epoch count the progress bar showed
 * meanwhile: a run trained again from epoch 0 would reach the same losses with the same seed.
 */
async function resumeToTheEnd(page: Page, button: Locator, from: StoppedAt & { kind: string; rewind?: boolean }, run: ExpectedRun) {
  await page.evaluate(() => {
    const bar = document.querySelector('[role=progressbar][aria-label="Training progress"]');
    const seen = [bar?.getAttribute('aria-valuenow') ?? ''];
    (window as unknown as { epochsShown: string[] }).epochsShown = seen;
    new MutationObserver((records) => {
      for (const r of records) seen.push((r.target as Element).getAttribute('aria-valuenow') ?? '');
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  await button.click();
  // An earlier checkpoint than the newest: rewinding asks first and continues in a branch.
  if (from.rewind) await page.getByRole('dialog', { name: `Rewind to epoch ${from.epoch}?` }).getByRole('button', { name: 'Start branch' }).click();
  await expect(page.getByText(`Resumed from epoch ${from.epoch} (${from.kind} checkpoint, step ${from.step}).`)).toBeVisible();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', String(run.epochs));
  await expect(page.getByText(/^Finished/)).toBeVisible();
  const epochsShown = await page.evaluate(() => (window as unknown as { epochsShown: string[] }).epochsShown.map(Number));
  expect(epochsShown).toContain(run.epochs);
  expect(Math.min(...epochsShown)).toBe(from.epoch); // it went on from the checkpoint, never back to an earlier epoch
  return readRun(page);
}

const resumeTraining = (page: Page) => trainCell(page).getByRole('button', { name: 'Resume training', exact: true });

/** The resumed run took exactly the uninterrupted run's steps: every loss after `from` and every epoch's metrics. */
function expectSameAsUninterrupted(resumed: Awaited<ReturnType<typeof readRun>>, from: StoppedAt, run: ExpectedRun) {
  expect(from.step).toBeLessThan(run.step); // something was left to train
  expect(resumed.step).toBe(run.step);
  expect(resumed.stepLosses.slice(from.step)).toEqual(run.stepLosses.slice(from.step)); // bit for bit (float32 values)
  expect(resumed.stepLosses).toEqual(run.stepLosses); // and the losses restored from the checkpoint
  expect(resumed.history).toEqual(run.history); // every epoch's metrics, the final ones included
}

/**
 * Chromium on a fresh copy of the stored profile (the fixture stays as made), the app open at its
 * origin; `reopen` closes the browser and starts it again on the same copy.
 */
async function openStoredProfile() {
  const profile = mkdtempSync(join(tmpdir(), 'tab-trainer-format1-'));
  execFileSync('tar', ['-xzf', join(FIXTURES, 'profile.tar.gz'), '-C', profile]);
  let { context, page } = await launchAtFixedOrigin(profile);
  await page.goto('/?backend=cpu');
  return {
    page,
    reopen: async () => {
      await context.close();
      ({ context, page } = await launchAtFixedOrigin(profile));
      await page.goto('/?backend=cpu');
      return page;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

test('a format-1 profile reopens on its CSV run, offers Resume training and resumes it bit for bit', async () => {
  const { page, reopen, close } = await openStoredProfile();
  try {
    const { current, older } = expected.profile;
    const run = expected.runs.csv;
    await expect(page.getByText(new RegExp(`^Resume available: epoch ${current.epoch}/${run.epochs} · step ${current.step} · `))).toBeVisible();
    // The notebook came back with its CSV data, read from the stored text: no file to choose again.
    await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('csv');
    await expect(page.getByText(current.csvFile, { exact: true })).toBeVisible();
    await expect(page.getByLabel('Label column', { exact: true })).toHaveValue('kind');
    await expect(page.getByText('Total parameters: 387')).toBeVisible();
    await expect(progress(page)).toHaveAttribute('aria-valuenow', String(current.epoch));
    await expect(resumeTraining(page)).toBeEnabled();

    const resumed = await resumeToTheEnd(page, resumeTraining(page), { ...current, kind: 'manual' }, run);
    expectSameAsUninterrupted(resumed, current, run);

    // The older spiral run in the same store is still readable, with its losses up to where it stopped.
    const olderRun = await page.evaluate(async (runId) => {
      const info = await window.__tabTrainer!.engine.resumeInfo(runId);
      return info && { epoch: info.meta.epoch, step: info.meta.step, dataset: info.config.data.dataset, stepLosses: Array.from(info.stepLosses) };
    }, older.runId);
    expect(olderRun).toEqual({ epoch: older.epoch, step: older.step, dataset: 'spiral', stepLosses: expected.runs.spiral.stepLosses.slice(0, older.step) });

    // What this build stored on top of the format-1 data reads back after a browser restart: the whole run.
    const again = await reopen();
    await expect(again.getByText(new RegExp(`^Run finished: epoch ${run.epochs}/${run.epochs} · step ${run.step} · `))).toBeVisible();
    await expect(again.getByText(current.csvFile, { exact: true })).toBeVisible();
    const stored = await again.evaluate(async (runId) => {
      const info = await window.__tabTrainer!.engine.resumeInfo(runId);
      return info && { stepLosses: Array.from(info.stepLosses), history: info.history };
    }, current.runId);
    expect(stored).toEqual({ stepLosses: run.stepLosses, history: run.history });
  } finally {
    await close();
  }
});

test('the stored CSV run also resumes bit for bit from its checkpoint at the end of epoch 2 (Resume from here)', async () => {
  const { page, close } = await openStoredProfile();
  try {
    const run = expected.runs.csv;
    // Stored beside the manual one of the stop: the best so far, saved as epoch 2 ended (no shuffle order inside).
    const boundary = { epoch: 2, step: (2 * run.step) / run.epochs, kind: 'best', rewind: true };
    const button = page
      .getByRole('region', { name: 'Checkpoints', exact: true })
      .getByRole('button', { name: `Resume from here: best checkpoint at epoch ${boundary.epoch}, step ${boundary.step}`, exact: true });
    await expect(button).toBeEnabled();
    expectSameAsUninterrupted(await resumeToTheEnd(page, button, boundary, run), boundary, run);
  } finally {
    await close();
  }
});

for (const kind of ['spiral', 'csv'] as const) {
  test(`the format-1 ${kind} bundle uploads into an empty browser and resumes bit for bit`, async ({ page }) => {
    const bundle = expected.bundles[kind];
    const run = expected.runs[kind];
    await page.goto('/?backend=cpu');
    await expect(page.getByText('Total parameters: 371')).toBeVisible(); // the default notebook, before the upload
    await page.getByLabel('Upload checkpoint').setInputFiles(join(FIXTURES, bundle.file));
    await expect(page.getByText(`Loaded ${bundle.file}: epoch ${bundle.epoch} · step ${bundle.step}. Press Resume training to continue, or Load weights only in the Checkpoints list.`)).toBeVisible();
    if (kind === 'csv') {
      // The bundle's config carries the CSV text: the notebook switches to that data.
      await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('csv');
      await expect(page.getByText(expected.profile.current.csvFile, { exact: true })).toBeVisible();
      await expect(page.getByText('Total parameters: 387')).toBeVisible();
    }
    await expect(progress(page)).toHaveAttribute('aria-valuenow', String(bundle.epoch));

    expectSameAsUninterrupted(await resumeToTheEnd(page, resumeTraining(page), { ...bundle, kind: 'manual' }, run), bundle, run);
  });
}
