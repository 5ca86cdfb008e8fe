import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADVANCED_TRAINING, PYTORCH_CODE, openFold } from './folds';
import { LONG_SPIRAL, setUpSpiral } from './spiral';

/**
 * axe-core (the engine behind Lighthouse's accessibility audit) on every cell of the notebook, idle,
 * while training and finished: no serious or critical violation. Folds are opened so what they
 * hold is checked too.
 */
const CELLS = ['Notes', 'Data', 'Model', 'Train', 'Checkpoints', 'Runs', 'Evaluate'];
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Training progress' });

async function expectNoSeriousViolations(page: Page, state: string): Promise<void> {
  const found: string[] = [];
  for (const cell of CELLS) {
    const result = await new AxeBuilder({ page }).include(`section[aria-labelledby="cell-${cell.toLowerCase()}"]`).analyze();
    for (const v of result.violations) {
      if (v.impact !== 'serious' && v.impact !== 'critical') continue;
      found.push(`${state} · ${cell} · ${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
  const page_ = await new AxeBuilder({ page }).exclude('section.cell').analyze(); // header, skip link, dialogs
  for (const v of page_.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') found.push(`${state} · page · ${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  console.log(found.length ? found.join('\n') : `${state}: no serious or critical violations in ${CELLS.length} cells and the page around them`);
  expect(found).toEqual([]);
}

test('axe-core finds no serious or critical violations in any cell: idle, training, finished (Spiral)', async ({ page }) => {
  await setUpSpiral(page, 30, LONG_SPIRAL);
  await openFold(page, ADVANCED_TRAINING);
  await openFold(page, PYTORCH_CODE);
  await expectNoSeriousViolations(page, 'idle');

  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuenow', '1');
  await expect(page.getByText('Training', { exact: true })).toBeVisible();
  await expectNoSeriousViolations(page, 'training');

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Resume training' })).toBeEnabled();
  await expectNoSeriousViolations(page, 'stopped');
});

test('axe-core: a finished run, and Digits with its drawing pad', async ({ page, browser }) => {
  await setUpSpiral(page, 2);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText(/^Finished/)).toBeVisible();
  await expect(page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr[data-checkpoint-id]').first()).toBeVisible();
  await expect(page.getByLabel('Decision boundary')).toBeVisible();
  await openFold(page, ADVANCED_TRAINING);
  await openFold(page, PYTORCH_CODE);
  await expectNoSeriousViolations(page, 'finished (Spiral)');

  // Digits in a fresh context: here Train would ask to replace the finished Spiral run.
  const context = await browser.newContext();
  page = await context.newPage();
  await page.goto('/?backend=wasm');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Digits (MNIST)' });
  await page.getByLabel('Preset', { exact: true }).selectOption('MLP small');
  await expect(page.getByLabel('Sample digit images')).toBeVisible();
  await expectNoSeriousViolations(page, 'idle (Digits)');

  // The drawing pad without a pointer: a "1" drawn with the keyboard alone, then predicted.
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText(/^Finished/)).toBeVisible({ timeout: 150_000 });
  const pad = page.getByLabel('Digit drawing pad');
  await expect(pad).toHaveAccessibleDescription(/arrow keys move the pen/);
  await pad.focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  await expect(page.getByText(/^Pen down/)).toBeVisible();
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter');
  const prediction = page.getByText(/^Prediction: \d$/);
  await expect(prediction).toBeVisible();
  console.log(`drew a 1 with the keyboard, model says ${await prediction.textContent()}`);
  await expect(page.getByRole('list', { name: 'Class probabilities' }).getByRole('listitem')).toHaveCount(10);
  await expectNoSeriousViolations(page, 'finished (Digits, with a prediction)');
  await context.close();
});
