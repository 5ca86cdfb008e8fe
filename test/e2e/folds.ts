import type { Page } from '@playwright/test';

export const ADVANCED_TRAINING = 'Advanced: schedule, backend, checkpoints';
export const PYTORCH_CODE = 'Continue in PyTorch: the Python code';

/**
 * Opens a fold (a details element whose summary starts with `summary`) as a user would, by
 * clicking its summary; does nothing when it is open already (folds are remembered once opened).
 */
export async function openFold(page: Page, summary: string): Promise<void> {
  const toggle = page.locator('summary').filter({ hasText: summary });
  if (!(await toggle.evaluate((s) => (s.parentElement as HTMLDetailsElement).open))) await toggle.click();
}
