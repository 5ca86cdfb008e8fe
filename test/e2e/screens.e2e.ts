import { test, expect, type Page } from '@playwright/test';
import { ADVANCED_TRAINING, openFold } from './folds';
import { LONG_SPIRAL, setUpSpiral } from './spiral';

/** Any screen: a phone (360 px), a wide monitor (1700 px), a projector (presentation mode). */
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });
const scrollWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);
const box = async (page: Page, selector: string) => (await page.locator(selector).first().boundingBox())!;

test.describe('at 360 px', () => {
  test.use({ viewport: { width: 360, height: 740 } });

  test('no sideways scroll idle, training and finished; checkpoint actions and layer settings in view', async ({ page }) => {
    await setUpSpiral(page, 8, LONG_SPIRAL);
    await openFold(page, ADVANCED_TRAINING);
    await page.getByLabel('Preset', { exact: true }).selectOption('CNN small'); // the widest layer settings
    await page.getByLabel('Preset', { exact: true }).selectOption('Tiny MLP');
    const idle = await scrollWidth(page);
    const removeLayer = page.getByRole('button', { name: 'Remove layer 2' });
    const removeBox = (await removeLayer.boundingBox())!;
    expect(removeBox.x + removeBox.width).toBeLessThanOrEqual(360);

    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(progress(page)).toHaveAttribute('aria-valuenow', '1');
    await expect(page.getByText('Training', { exact: true })).toBeVisible();
    const training = await scrollWidth(page);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByLabel('Epochs', { exact: true }).fill('8');
    await page.getByRole('button', { name: 'Resume training' }).click();
    await expect(progress(page)).toHaveAttribute('aria-valuenow', '8');
    await expect(page.getByText(/^Finished/)).toBeVisible();
    const finished = await scrollWidth(page);
    console.log(`document.scrollWidth at 360 px: idle ${idle}, training ${training}, finished ${finished}`);
    expect([idle, training, finished]).toEqual([360, 360, 360]);

    const resumeHere = page.getByRole('button', { name: /^Resume from here/ }).first();
    await resumeHere.scrollIntoViewIfNeeded();
    const b = (await resumeHere.boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(360);
  });
});

test.describe('at 1700 px', () => {
  test.use({ viewport: { width: 1700, height: 1000 } });

  test('charts sit beside the Train controls, and are taller', async ({ page }) => {
    await setUpSpiral(page, 2);
    const controls = await box(page, 'section[aria-labelledby="cell-train"] fieldset');
    const charts = await box(page, 'section[aria-labelledby="cell-train"] .charts');
    console.log(`1700 px: Train controls x ${controls.x}–${controls.x + controls.width}, charts x ${charts.x}–${charts.x + charts.width}, ${charts.height} px tall`);
    expect(charts.x).toBeGreaterThanOrEqual(controls.x + controls.width);
    expect(Math.abs(charts.y - controls.y)).toBeLessThan(50); // side by side, not below
    expect(await scrollWidth(page)).toBe(1700);
  });
});

test('presentation mode: large type, big charts, only Train / Pause / Reset; remembered; off again', async ({ page }) => {
  await setUpSpiral(page, 2);
  const chartHeight = async () => (await box(page, 'section[aria-labelledby="cell-train"] .chart')).height;
  const normalHeight = await chartHeight();
  const toggle = page.getByRole('button', { name: 'Presentation mode' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const controls = page.getByRole('group', { name: 'Presentation controls' });
  await expect(controls.getByRole('button')).toHaveText(['Train', 'Pause', 'Reset']);
  await expect(page.getByLabel('Epochs', { exact: true })).toBeHidden();
  await expect(page.getByLabel('Dataset', { exact: true })).toBeHidden();
  await expect(page.getByRole('region', { name: 'Checkpoints', exact: true })).toBeHidden();
  await expect.poll(chartHeight).toBeGreaterThan(normalHeight * 1.5);
  expect(await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize))).toBe(20);

  await controls.getByRole('button', { name: 'Train' }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '2');
  await expect(controls.getByRole('button', { name: 'Reset' })).toBeEnabled();
  await controls.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByRole('dialog', { name: 'Start fresh?' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.reload();
  await expect(page.getByRole('button', { name: 'Presentation mode' })).toHaveAttribute('aria-pressed', 'true');
  await page.getByRole('button', { name: 'Presentation mode' }).click();
  await expect(page.getByLabel('Epochs', { exact: true })).toBeVisible();
  await expect(page.getByRole('group', { name: 'Presentation controls' })).toHaveCount(0);
});

test('beginner first: advanced settings folded until opened, then remembered; skip link; terms explained', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByLabel('Epochs', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Backend', { exact: true })).toBeHidden();
  await expect(page.getByLabel('Save every N steps', { exact: true })).toBeHidden();
  await expect(page.getByRole('region', { name: 'Continue in PyTorch' })).toBeHidden();
  await openFold(page, ADVANCED_TRAINING);
  await expect(page.getByLabel('Backend', { exact: true })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Backend', { exact: true })).toBeVisible(); // remembered
  await expect(page.getByRole('region', { name: 'Continue in PyTorch' })).toBeHidden(); // the other fold is not

  // The first Tab reaches the skip link; following it puts the Train cell next in line.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to Train' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'What is an epoch?' })).toBeFocused();

  await page.keyboard.press('Enter');
  await expect(page.getByRole('note').filter({ hasText: 'One pass over all the training data' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('note').filter({ hasText: 'One pass over all the training data' })).toBeHidden();
  await page.getByRole('button', { name: 'logits' }).click();
  await expect(page.getByRole('note').filter({ hasText: 'before softmax' })).toBeVisible();
});
