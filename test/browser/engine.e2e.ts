import { test, expect } from '@playwright/test';
import { openApp, smallRun, train } from './engine-harness';

test.describe('engine in a real worker', () => {
  test('same seed and config give bit-identical weights on cpu; another seed does not', async ({ page }) => {
    await openApp(page);
    const a = await train(page, smallRun({ backend: 'cpu' }));
    const b = await train(page, smallRun({ backend: 'cpu' }));
    const c = await train(page, smallRun({ backend: 'cpu', seed: 8 }));
    expect(a.state).toBe('finished');
    expect(a.backend).toBe('cpu');
    expect(Object.keys(a.tensors)).toContain('0.kernel.exp_avg');
    expect(b.tensors).toEqual(a.tensors);
    expect(b.losses).toEqual(a.losses);
    expect(b.rng).toEqual(a.rng);
    expect(c.tensors['0.kernel']).not.toEqual(a.tensors['0.kernel']);
  });

  test('pause and resume in the same worker continue the same run', async ({ page }) => {
    await openApp(page);
    const straight = await train(page, smallRun({ backend: 'cpu' }));
    const paused = await train(page, smallRun({ backend: 'cpu' }), 12, 400);
    expect(paused.state).toBe('finished');
    expect(paused.steps).toBe(straight.steps);
    expect(paused.losses).toEqual(straight.losses);
    expect(paused.tensors).toEqual(straight.tensors);
  });

  for (const backend of ['cpu', 'webgpu'] as const) {
    test(`no tensor leaks across epochs on ${backend}`, async ({ page }) => {
      await openApp(page);
      const r = await train(page, smallRun({ backend, epochs: 4 }));
      expect(r.backend).toBe(backend);
      expect(r.epochEndTensors).toHaveLength(4);
      expect(new Set(r.epochEndTensors).size).toBe(1);
    });
  }
});
