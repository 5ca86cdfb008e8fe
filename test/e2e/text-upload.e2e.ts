import { test, expect } from '@playwright/test';

/** The user's own .txt: stored and previewed when it is text, refused with the reason when not. */
test('a .txt upload previews its characters; empty, binary, non-UTF-8 and too short texts get a clear message', async ({ page }) => {
  await page.goto('/?backend=cpu');
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'Text upload (.txt)' });
  await expect(page.getByText('No text file is selected. Upload a .txt file in the Data cell first.')).toBeVisible();
  const file = page.getByLabel('Text file', { exact: true });

  await file.setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await expect(page.getByRole('alert').filter({ hasText: 'empty.txt is empty. Choose a text file with some text in it.' })).toBeVisible();
  await file.setInputFiles({ name: 'photo.txt', mimeType: 'text/plain', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]) });
  await expect(page.getByRole('alert').filter({ hasText: 'photo.txt looks like a binary file (it holds NUL bytes), not text.' })).toBeVisible();
  await file.setInputFiles({ name: 'latin1.txt', mimeType: 'text/plain', buffer: Buffer.from([0x63, 0x61, 0x66, 0xe9]) });
  await expect(page.getByRole('alert').filter({ hasText: 'latin1.txt is not UTF-8 text.' })).toBeVisible();

  await file.setInputFiles({ name: 'abc.txt', mimeType: 'text/plain', buffer: Buffer.from('abc') });
  await expect(page.getByText('abc.txt', { exact: true })).toBeVisible();
  await expect(page.getByText('Vocabulary (3 characters)')).toBeVisible();
  await expect(page.getByLabel('Preset', { exact: true })).toHaveValue('GPT nano');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: /training part has 2 characters, fewer than one block of 64 plus one\. Use a longer text, or a smaller block size/ })).toBeVisible();
});
