/**
 * npm run bench, section "runs": does storage stay bounded when runs are deleted? Trains 20 short
 * runs (Tiny MLP on the spiral, cpu, 2 epochs, a checkpoint per epoch) in a fresh browser profile,
 * deletes 10 of them the way the Runs cell does (engine.deleteRun), and prints the site's IndexedDB
 * usage (navigator.storage.estimate's usageDetails.indexedDB in Chromium) and the bytes the remaining checkpoints list, before and after.
 */
const fmtMiB = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;

export async function runsStorageBench(browser, url, runs = 20, deleted = 10) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => '__tabTrainer' in window);
    const r = await page.evaluate(async ({ runs, deleted }) => {
      const { engine, proxy } = window.__tabTrainer;
      // Chromium splits the estimate by kind; the rest of the site's usage is the service worker's cache.
      const usage = async () => {
        const e = await navigator.storage.estimate();
        return e.usageDetails?.indexedDB ?? e.usage ?? NaN;
      };
      const listed = async () => (await engine.listRuns()).reduce((n, x) => n + x.sizeBytes, 0);
      const config = {
        data: { dataset: 'spiral', samples: 1000, noise: 0.05, validationSplit: 0.2, seed: 42 },
        model: { name: 'Tiny MLP', layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 16, activation: 'relu' }] },
        train: {
          epochs: 2, batchSize: 32, learningRate: 0.01, optimizer: 'adam', momentum: 0.9, weightDecay: 0, backend: 'cpu', seed: 1,
          schedule: { name: 'constant', stepEpochs: 10, gamma: 0.5, warmupSteps: 100, minLrFactor: 0 },
          checkpoints: { saveEveryEpochs: 1, saveEverySteps: 0, saveEveryMinutes: 0, keepLast: 5 },
        },
      };
      const before = await usage();
      for (let i = 0; i < runs; i++) await engine.train(config, proxy(() => {}), proxy(() => {}), { runId: `bench-run-${i}`, notes: '' });
      const full = { usage: await usage(), listed: await listed(), runs: (await engine.listRuns()).length };
      for (let i = 0; i < deleted; i++) await engine.deleteRun(`bench-run-${i}`);
      const after = { usage: await usage(), listed: await listed(), runs: (await engine.listRuns()).length };
      return { before, full, after };
    }, { runs, deleted });
    console.log(`\nRuns storage (${runs} runs of Tiny MLP on the spiral, 2 checkpoints each; then ${deleted} deleted)`);
    console.log('                         runs  IndexedDB usage (estimate)  checkpoints listed');
    console.log(`empty profile               0  ${fmtMiB(r.before).padStart(26)}`);
    console.log(`after ${runs} runs ${String(r.full.runs).padStart(14)}  ${fmtMiB(r.full.usage).padStart(26)}  ${fmtMiB(r.full.listed).padStart(18)}`);
    console.log(`after deleting ${deleted} ${String(r.after.runs).padStart(9)}  ${fmtMiB(r.after.usage).padStart(26)}  ${fmtMiB(r.after.listed).padStart(18)}`);
  } finally {
    await context.close();
  }
}
