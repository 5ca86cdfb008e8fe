/**
 * The bench's one measure of the app's engine (scripts/bench.mjs and bench-torch.mjs): steady
 * samples/s, the step rate between progress events after the 5th step (past warm-up and WebGPU
 * shader compiles) over `seconds`, epoch ends excluded. Throws when the run fails.
 * `live` ('boundary' or 'curve') asks for the live decision boundary or fitted curve on progress
 * events as the Evaluate cell does (src/ui/evaluation.svelte.ts: after waiting 19 times the last
 * one's cost, at least 250 ms).
 * @returns { rate, info } where info is the BackendInfo the run reported
 */
export async function engineRate(page, config, seconds, live = null) {
  return page.evaluate(async ({ config, seconds, live }) => {
    const { engine, proxy } = window.__tabTrainer;
    const events = [];
    let info;
    let failed = null;
    const view = { inFlight: false, endedAt: -Infinity, costMs: 0, count: 0 };
    const redraw = async () => {
      const t0 = performance.now();
      if (view.inFlight || t0 - view.endedAt < Math.max(250, 19 * view.costMs)) return;
      view.inFlight = true;
      await (live === 'boundary' ? engine.decisionBoundary(64) : engine.fittedCurve(200)).catch(() => null);
      view.endedAt = performance.now();
      view.costMs = view.endedAt - t0;
      view.inFlight = false;
      view.count++;
    };
    const onProgress = (e) => {
      events.push({ t: performance.now(), step: e.step, end: !!e.epochMetrics });
      if (live && e.state === 'training' && !e.epochMetrics) void redraw();
    };
    const done = engine.train(config, proxy(onProgress), proxy((b) => (info = b)));
    done.catch((e) => (failed = e));
    const warmStart = performance.now();
    while (!events.some((e) => e.step >= 5) && !failed && performance.now() - warmStart < 180_000) await new Promise((r) => setTimeout(r, 50));
    if (failed) throw failed;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) await new Promise((r) => setTimeout(r, 100));
    await engine.stop();
    await done;
    let steps = 0, ms = 0;
    const warm = events.filter((e) => e.step >= 5);
    for (let i = 1; i < warm.length; i++) {
      if (warm[i].end || warm[i].step === warm[i - 1].step) continue;
      steps += warm[i].step - warm[i - 1].step;
      ms += warm[i].t - warm[i - 1].t;
    }
    return { rate: ms > 0 ? (steps * config.train.batchSize) / (ms / 1000) : NaN, info, redraws: view.count };
  }, { config, seconds, live });
}
