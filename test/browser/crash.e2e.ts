/**
 * A crashed browser costs at most one checkpoint interval. A persistent Chromium profile trains a
 * run; the browser's main process is SIGKILLed at seeded random moments (right after a commit,
 * during a checkpoint write, mid-epoch; 1 to 3 epochs after each resume, so kills spread over the
 * run), then relaunched with the same profile. Every checkpoint
 * whose 'saved' event reached the test must survive, the latest must validate, and resuming must
 * continue the same loss curve as an uninterrupted run, bit for bit on cpu.
 */
import { test, expect, chromium, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath, previewOrigin } from '../../playwright.config';
import type { CheckpointMeta } from '../../src/shared/checkpoint';
import type { CheckpointEvent } from '../../src/shared/engine-api';
import { openApp, resumeInfo, trainCheckpointed, wideRun, withCheckpoints } from './engine-harness';

const SEED = Number(process.env.CRASH_SEED ?? 20260611);
const KILLS = 6;
const RUN = 'crash';
type Mode = 'after-saved' | 'during-write' | 'mid-epoch';

/** mulberry32: a small seeded generator, so a failing schedule can be replayed with CRASH_SEED. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pids of the Chromium processes using `dir` as profile; the main one has no --type= switch. */
function chromiumPids(dir: string): { main: number[]; all: number[] } {
  const main: number[] = [];
  const all: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (!cmd.includes(`--user-data-dir=${dir}`)) continue;
    all.push(Number(entry));
    if (!cmd.some((a) => a.startsWith('--type='))) main.push(Number(entry));
  }
  return { main, all };
}

async function launch(dir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath,
    args: ['--headless=new', ...chromiumArgs],
    headless: true,
    baseURL: previewOrigin,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await openApp(page);
  return { context, page };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The loss bound. A kill at time tKill may lose the interval in flight, plus the checkpoint of the
 * epoch that just ended if its commit had not finished: the resumed point must have been reached
 * no more than one save interval (the slowest epoch seen, saveEveryEpochs = 1) plus the commit
 * latency (the slowest commit seen: from the epoch-end progress event to its 'saved' event, as the
 * test sees both) before tKill. Both are measured over the whole test, since a fixed figure does
 * not hold on a shared machine (commits took 0.6 to 8 s on 2 busy cores).
 */
/** Epochs trained past the resumed one before a kill is armed: 1 to this many, seeded. */
const MAX_EPOCHS_BEFORE_KILL = 3;
/** 6 kills × at most 3 new epochs each stay under this, so a run never ends before its kill. */
const EPOCHS = 24;

/** What one cycle saw, in the test's clock (Date.now()), to check the next cycle's resumed point. */
interface Timeline {
  /** Step the cycle resumed from, and when training from it began ('resumed' event or train call). */
  startStep: number;
  startAt: number;
  /** Epoch-end step → when its progress event arrived. */
  epochEndAt: Map<number, number>;
  /** Last step a progress event reported before the kill. */
  lastStep: number;
  killAt: number;
}

test('SIGKILLed browser: every committed checkpoint survives, at most one interval is lost, and the run resumes on the same curve', async ({ page: straightPage }) => {
  test.setTimeout(600_000);
  // ~0.15M parameters: an Adam checkpoint is ~1.8 MB; an epoch (15 steps) takes about half a second on cpu.
  const config = withCheckpoints(wideRun({ epochs: EPOCHS, units: 384 }), { saveEveryEpochs: 1, keepLast: 2 });
  await openApp(straightPage);
  const straight = (await trainCheckpointed(straightPage, config, { runId: 'straight', notes: '' }, { readout: 'digest' })).readout!;
  expect(straight.epoch).toBe(EPOCHS);
  const spe = straight.step / EPOCHS;

  const random = seeded(SEED);
  const modes: Mode[] = ['during-write', 'during-write', 'after-saved', 'after-saved', 'mid-epoch', 'mid-epoch'];
  for (let i = modes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [modes[i], modes[j]] = [modes[j], modes[i]];
  }
  const dir = mkdtempSync(join(tmpdir(), 'tab-trainer-crash-'));
  const seen: { committed: CheckpointMeta | null } = { committed: null }; // newest checkpoint whose 'saved' event reached the test
  const log: string[] = [];
  const latenciesMs: number[] = [];
  let intervalMs = 0; // slowest epoch seen so far
  let previous: Timeline | null = null;
  const lost = { steps: [] as number[], ms: [] as number[] };
  let survived = 0;
  let identical = 0;
  let duringWrite = 0;
  const killEpochs: number[] = [];
  try {
    for (let cycle = 0; cycle <= KILLS; cycle++) {
      const { context, page } = await launch(dir);
      const info = await resumeInfo(page, RUN);
      const committed = seen.committed;
      if (committed) {
        expect(info, `cycle ${cycle}: a checkpoint survives`).not.toBeNull();
        expect(info!.skipped, `cycle ${cycle}: nothing unreadable`).toEqual([]);
        expect(info!.meta.step, `cycle ${cycle}: no committed checkpoint lost`).toBeGreaterThanOrEqual(committed.step);
        expect(info!.meta.step % spe, 'an epoch-end checkpoint').toBe(0);
        survived++;
        // The stored curve is the uninterrupted run's curve, exactly.
        expect(info!.stepLosses).toEqual(straight.stepLosses.slice(0, info!.meta.step));
        expect(info!.history).toEqual(straight.history.slice(0, info!.meta.epoch));
        identical++;
      }
      if (previous) {
        // The explicit bound: when was the resumed point reached, and how long before the kill?
        const step = info?.meta.step ?? 0;
        const reachedAt = step === previous.startStep ? previous.startAt : previous.epochEndAt.get(step);
        expect(reachedAt, `cycle ${cycle}: the resumed step ${step} was reached in the killed cycle or is where it began`).toBeDefined();
        const lostMs = previous.killAt - reachedAt!;
        lost.steps.push(previous.lastStep - step);
        lost.ms.push(lostMs);
        log[log.length - 1] += `; resumed at step ${step}: lost ${previous.lastStep - step} steps, ${lostMs} ms`;
        expect(previous.lastStep - step, `cycle ${cycle}: steps lost`).toBeGreaterThanOrEqual(0);
      }
      const options = { runId: RUN, notes: '', ...(info ? { resumeFrom: 'latest' } : {}) };

      if (cycle === KILLS) {
        const final = await trainCheckpointed(page, config, options, { readout: 'digest' });
        expect(final.state).toBe('finished');
        expect(final.events.find((e) => e.resumed)?.resumed?.meta).toEqual(info!.meta);
        expect(final.readout!.stepLosses).toEqual(straight.stepLosses);
        expect(final.readout!.history).toEqual(straight.history);
        expect(final.readout!.rng).toEqual(straight.rng);
        expect(final.readout!.digests).toEqual(straight.digests);
        identical++;
        log.push(`final: resumed at epoch ${info!.meta.epoch}, finished bit-identical`);
        await context.close();
        break;
      }

      const mode = modes[cycle];
      const delay = mode === 'mid-epoch' ? 100 + random() * 400 : mode === 'during-write' ? random() * 250 : random() * 60;
      const startEpoch = info?.meta.epoch ?? 0;
      const killEpoch = startEpoch + 1 + Math.floor(random() * MAX_EPOCHS_BEFORE_KILL);
      const timeline: Timeline = { startStep: info?.meta.step ?? 0, startAt: Date.now(), epochEndAt: new Map(), lastStep: info?.meta.step ?? 0, killAt: 0 };
      let lastEndAt = 0;
      let writing = false; // an epoch ended and its checkpoint has not committed yet
      let fire!: () => void;
      const trigger = new Promise<void>((r) => (fire = r));
      await page.exposeFunction('__report', (m: { type: string; step?: number; epoch?: number; event?: CheckpointEvent }) => {
        const now = Date.now();
        if (timeline.killAt) return; // late messages from a dying page
        if (m.type === 'progress') timeline.lastStep = Math.max(timeline.lastStep, m.step!);
        else if (m.type === 'epoch') {
          writing = true;
          timeline.epochEndAt.set(m.step!, now);
          intervalMs = Math.max(intervalMs, now - (lastEndAt || timeline.startAt));
          lastEndAt = now;
          if (mode !== 'after-saved' && m.epoch === killEpoch) void sleep(delay).then(fire); // mid-epoch: into the next epoch
        } else if (m.event?.resumed) {
          timeline.startAt = now;
        } else if (m.event?.saved) {
          writing = false;
          const endAt = timeline.epochEndAt.get(m.event.saved.step);
          if (endAt !== undefined) latenciesMs.push(now - endAt);
          if (!seen.committed || m.event.saved.step > seen.committed.step) seen.committed = m.event.saved;
          if (mode === 'after-saved' && m.event.saved.epoch === killEpoch) void sleep(delay).then(fire);
        }
      });
      const training = trainCheckpointed(page, config, options, { report: 'progress', readout: false }).catch((e: Error) => e);
      const outcome = await Promise.race([trigger.then(() => 'kill' as const), training.then(() => 'ended' as const)]);
      expect(outcome, `cycle ${cycle}: the run was still going when the kill was due`).toBe('kill');

      const wasWriting = writing;
      const { main } = chromiumPids(dir);
      expect(main).toHaveLength(1);
      timeline.killAt = Date.now();
      process.kill(main[0], 'SIGKILL');
      for (const pid of chromiumPids(dir).all) {
        try {
          process.kill(pid, 'SIGKILL'); // the rest of the browser dies with it, as in a real crash
        } catch {
          // already gone
        }
      }
      if (wasWriting) duringWrite++;
      killEpochs.push(killEpoch);
      previous = timeline;
      log.push(`kill ${cycle + 1}: ${mode} +${delay.toFixed(0)} ms after epoch ${killEpoch} (step ${timeline.lastStep}), resumed from epoch ${startEpoch}, committed epoch ${seen.committed?.epoch ?? '-'}${wasWriting ? ', write in flight' : ''}`);
      await Promise.race([context.close().catch(() => {}), sleep(10_000)]);
      await training;
      for (let t = 0; t < 50 && chromiumPids(dir).all.length > 0; t++) await sleep(100);
    }
  } finally {
    const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
    console.log(`crash test (seed ${SEED}):\n  ${log.join('\n  ')}`);
    console.log(
      `crash summary seed=${SEED} kills=${log.filter((l) => l.startsWith('kill')).length} survived=${survived} identical=${identical} ` +
        `maxLostSteps=${max(lost.steps)} maxLostMs=${max(lost.ms)} boundMs=${intervalMs + max(latenciesMs)} stepsPerEpoch=${spe} ` +
        `maxCommitMs=${max(latenciesMs)} commits=${latenciesMs.length} intervalMs=${intervalMs}`,
    );
    for (const pid of chromiumPids(dir).all) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  expect(log.filter((l) => l.startsWith('kill'))).toHaveLength(KILLS);
  expect(duringWrite, 'kills while a checkpoint write was in flight').toBeGreaterThanOrEqual(1);
  expect(lost.ms, 'every kill measured').toHaveLength(KILLS);
  const boundMs = intervalMs + Math.max(...latenciesMs);
  lost.ms.forEach((ms, i) => {
    expect(ms, `kill ${i + 1}: lost at most one interval (${intervalMs} ms) plus the commit latency (${Math.max(...latenciesMs)} ms)`).toBeLessThanOrEqual(boundMs);
  });
  expect(new Set(killEpochs).size, `kills spread over the run's epochs (${killEpochs.join(', ')})`).toBeGreaterThanOrEqual(3);
});
