/**
 * The training loop. A Trainer owns the model, the optimizer, the data order and the RNG of one
 * run on the current tfjs backend. Its state between two steps is plain data (see TrainerState),
 * which is what a checkpoint stores. The step path never reads back synchronously: losses are
 * kept on the device and read asynchronously in batches.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../shared/config';
import type { EpochMetrics, ProgressEvent, RunState, RunStateReadout, RunSummary } from '../shared/engine-api';
import { CorruptCheckpointError } from '../shared/errors';
import type { TensorEntry, TrainerSnapshot } from '../shared/checkpoint';
import type { Dataset } from './data';
import { familyWorker } from '../families/worker-registry';
import { familyOf } from '../families';
import { DatasetError } from '../shared/errors';
import type { BufferUpdate, NamedVariable, Net } from '../families/worker-contract';
import { drawWindows, ioOf } from './data/dataset';
import { disposeNet, readVariables } from './variables';
import { applyGradients, clipGradNorm, createOptimizer, disposeOptimizer, type Optimizer } from './optimizer';
import { slotNames } from '../shared/optimizer-slots';
import { permutation, Rng, type RngState } from '../shared/rng';
import { learningRateAt } from './schedule';
import { lossOf, validate, validateTokens, type Validation } from './evaluate';
import { divergedError, readLosses, yieldToEventLoop } from './loop';
import { progressEvent, snapshotOf, stateOf, type TrainerState } from './trainer-state';
export type { TrainerState } from './trainer-state';

/** Read losses back at least this often, so progress is live and the GPU queue stays short. */
const FLUSH_EVERY_STEPS = 16;
const FLUSH_EVERY_MS = 250;

export interface TrainerHooks {
  onProgress: (e: ProgressEvent) => void;
  /** Called between steps; the loop waits for it (a chance to pause, stop or save). */
  betweenSteps?: () => Promise<void>;
  /** Called once the loop has paused, and again as it resumes (a chance to save, and to mark the run paused). */
  onPause?: (paused: boolean) => Promise<void>;
}

export class Trainer {
  readonly config: RunConfig;
  readonly data: Dataset;
  readonly net: Net;
  readonly opt: Optimizer;
  state: TrainerState;
  runState: RunState = 'idle';
  #rng: Rng;
  #x: tf.Tensor | null = null;
  #y: tf.Tensor | null = null;
  /** Tokens per window for text data (the model's block size), else 0. */
  readonly blockSize: number;
  #stopRequested = false;
  /** Loss scalars of steps not yet read back. */
  #pending: tf.Tensor[] = [];
  /** stepLosses already sent in progress events. */
  #reported = 0;
  #segmentStart = 0;
  #pauseGate: { promise: Promise<void>; release: () => void } | null = null;

  constructor(config: RunConfig, data: Dataset) {
    this.config = config;
    this.data = data;
    this.blockSize = checkInput(config, data);
    this.#rng = new Rng(config.train.seed);
    this.net = familyWorker(config.model).build(config.model, ioOf(data), this.#rng);
    const t = config.train;
    this.opt = createOptimizer({ name: t.optimizer, momentum: t.momentum, weightDecay: t.weightDecay, beta2: t.beta2 }, this.net.params);
    this.state = { epoch: 0, step: 0, batchInEpoch: 0, order: null, rng: this.#rng.state(), stepLosses: [], history: [], best: null, trainTimeMs: 0 };
    if (!data.tokens) {
      this.#x = tf.tensor(data.xTrain, [data.trainSize, ...data.inputShape]);
      this.#y = data.kind === 'classification' ? tf.tensor1d(Int32Array.from(data.yTrain), 'int32') : tf.tensor2d(data.yTrain, [data.trainSize, 1]);
    }
  }

  /** Batches per epoch; on text, train tokens ÷ (batch × block) (at least 1). */
  get stepsPerEpoch(): number {
    if (this.blockSize > 0) return Math.max(1, Math.floor(this.data.trainSize / (this.config.train.batchSize * this.blockSize)));
    return Math.ceil(this.data.trainSize / this.config.train.batchSize);
  }
  /** Samples a step trains on: the batch, or on text its tokens (batch × block). */
  get samplesPerStep(): number {
    if (this.blockSize > 0) return this.config.train.batchSize * this.blockSize;
    return Math.min(this.config.train.batchSize, this.data.trainSize);
  }
  get totalSteps(): number {
    return this.stepsPerEpoch * this.config.train.epochs;
  }
  /** Steps the LR schedule is planned over (see TrainConfig.scheduleEpochs). */
  get scheduleSteps(): number {
    return this.stepsPerEpoch * (this.config.train.scheduleEpochs ?? this.config.train.epochs);
  }

  /** Trains until the planned epochs are done or stop() is called. */
  async run(hooks: TrainerHooks): Promise<RunSummary> {
    this.runState = 'training';
    this.#stopRequested = false;
    this.#reported = this.state.stepLosses.length;
    const started = { step: this.state.step, trainTimeMs: this.state.trainTimeMs };
    let lastFlush = performance.now();
    this.#segmentStart = lastFlush;
    const flush = async (epochEnd = false) => {
      await this.drain();
      lastFlush = performance.now();
      const losses = this.state.stepLosses.slice(this.#reported);
      this.#reported = this.state.stepLosses.length;
      const epochMetrics = epochEnd ? await this.#endEpoch() : undefined;
      hooks.onProgress(this.#progress(losses, started, epochMetrics));
    };
    try {
      while (this.state.epoch < this.config.train.epochs && !this.#stopRequested) {
        this.#pending.push(this.#trainStep());
        if (this.state.batchInEpoch === 0) await flush(true);
        else if (this.state.step === started.step + 1) await flush(); // show life at once (and time the first step)
        else if (this.#pending.length >= FLUSH_EVERY_STEPS || performance.now() - lastFlush > FLUSH_EVERY_MS) await flush();
        await yieldToEventLoop();
        if (this.#pauseGate) {
          await flush();
          this.runState = 'paused';
          hooks.onProgress(this.#progress([], started));
          const gate = this.#pauseGate.promise;
          await hooks.onPause?.(true);
          await gate;
          await hooks.onPause?.(false);
          this.#segmentStart = performance.now();
          Object.assign(started, { step: this.state.step, trainTimeMs: this.state.trainTimeMs });
          this.runState = 'training';
        }
        await hooks.betweenSteps?.();
      }
      await flush();
      this.runState = this.#stopRequested ? 'stopped' : 'finished';
      hooks.onProgress(this.#progress([], started));
    } catch (e) {
      tf.dispose(this.#pending);
      this.#pending = [];
      this.runState = 'failed';
      throw e;
    }
    return { state: this.runState, epoch: this.state.epoch, step: this.state.step, history: this.state.history };
  }

  /**
   * Reads the losses still on the device into state.stepLosses (the only wait on the device in
   * the loop), adds the time since the last drain to trainTimeMs, and fails on a NaN loss. After
   * it, the device has finished every queued step.
   */
  async drain(): Promise<void> {
    const losses = await readLosses(this.#pending);
    this.#pending = [];
    const now = performance.now();
    this.state.trainTimeMs += now - this.#segmentStart;
    this.#segmentStart = now;
    const bad = losses.findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) throw divergedError(this.state.step - losses.length + bad, this.config.train.learningRate);
    this.state.stepLosses.push(...losses);
  }

  pause(): void {
    if (this.#pauseGate || this.runState !== 'training') return;
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.#pauseGate = { promise, release };
  }
  resume(): void {
    const gate = this.#pauseGate;
    this.#pauseGate = null;
    gate?.release();
  }
  stop(): void {
    this.#stopRequested = true;
    this.resume();
  }

  /**
   * Times training steps on the active backend, for choosing one: two warm-up steps (shader
   * compilation, JIT), then pairs of steps for `timeMs` (a tiny model's 30 steps take ~35 ms, too short
   * to tell wasm from cpu). Gives up early, with the rate so far, once it is
   * clearly under `fastestSoFar` (samples/s of a backend timed before): the first step (compile
   * included) longer than 100 of its steps (10 off the GPU), the second step alone under a third of it, or after
   * 100 ms under two thirds. Returns samples/s and whether it
   * stopped early. It trains this trainer's model, so use a throwaway one.
   */
  async measure(fastestSoFar = 0, timeMs = 300): Promise<{ samplesPerSec: number; stoppedEarly: boolean }> {
    const batch = this.samplesPerStep;
    const c0 = performance.now();
    await readLosses([this.#trainStep()]);
    // The first step includes compiling: shaders on the GPU backends (seconds on a slow GPU), only
    // JIT elsewhere. A hopeless one stops here: over 0.5 s and over 100 steps of the fastest backend
    // timed so far on a GPU backend, 10 steps on the others.
    const firstMs = performance.now() - c0;
    const compiles = ['webgpu', 'webgl'].includes(tf.getBackend());
    if (fastestSoFar > 0 && firstMs > Math.max(500, ((compiles ? 100 : 10) * batch * 1000) / fastestSoFar)) return { samplesPerSec: batch / (firstMs / 1000), stoppedEarly: true };
    const w0 = performance.now();
    await readLosses([this.#trainStep()]);
    const warmRate = batch / ((performance.now() - w0) / 1000);
    if (warmRate < fastestSoFar / 3) return { samplesPerSec: warmRate, stoppedEarly: true };
    const t0 = performance.now();
    let steps = 0;
    const elapsed = () => performance.now() - t0;
    const rate = () => (steps * batch) / (elapsed() / 1000);
    while (elapsed() < timeMs) {
      const pending = [this.#trainStep(), this.#trainStep()];
      steps += 2;
      await readLosses(pending);
      if (elapsed() > 100 && rate() < (fastestSoFar * 2) / 3) return { samplesPerSec: rate(), stoppedEarly: true };
    }
    return { samplesPerSec: rate(), stoppedEarly: false };
  }

  /** One optimizer step on the next batch; returns the (kept) loss scalar. */
  #trainStep(): tf.Tensor {
    const s = this.state;
    const train = this.config.train;
    const lr = learningRateAt(s.step, train.learningRate, train.schedule, this.stepsPerEpoch, this.scheduleSteps);
    const updates: BufferUpdate[] = [];
    const [xb, yb] = this.#nextBatch();
    const vars = this.net.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(() => lossOf(this.data, this.#logits(this.net.forward(xb, true, this.#rng, updates)), yb) as tf.Scalar, vars);
    const raw = vars.map((v) => grads[v.name]);
    const clipped = train.gradClip ? clipGradNorm(raw, train.gradClip) : [];
    applyGradients(this.opt, this.net.params, train.gradClip ? clipped : raw, lr);
    for (const u of updates) {
      u.variable.assign(u.value);
      u.value.dispose();
    }
    tf.dispose([xb, yb, ...clipped, ...Object.values(grads)]);
    s.step += 1;
    s.batchInEpoch += 1;
    if (s.batchInEpoch >= this.stepsPerEpoch) {
      s.batchInEpoch = 0;
      s.order = null;
      s.epoch += 1;
    }
    s.rng = this.#rng.state();
    return value;
  }

  /**
   * The next batch: on text, batchSize random windows of the train tokens (drawn from the run's rng,
   * so a resume draws the same ones); else the next slice of the epoch's shuffle order (drawn at its start).
   */
  #nextBatch(): [tf.Tensor, tf.Tensor] {
    const s = this.state;
    const bs = this.config.train.batchSize;
    if (this.data.tokens) {
      const w = drawWindows(this.#rng, this.data.tokens.train, this.blockSize, bs);
      return [tf.tensor2d(w.x, [bs, this.blockSize], 'int32'), tf.tensor1d(w.y, 'int32')];
    }
    if (s.batchInEpoch === 0 || !s.order) s.order = permutation(this.#rng, this.data.trainSize);
    const idx = s.order.subarray(s.batchInEpoch * bs, Math.min((s.batchInEpoch + 1) * bs, this.data.trainSize));
    return tf.tidy(() => {
      const idxT = tf.tensor1d(idx, 'int32');
      return [tf.gather(this.#x!, idxT), tf.gather(this.#y!, idxT)];
    });
  }

  /** A language model's logits [B, T, vocab] as rows [B·T, vocab], one per predicted token; others unchanged. */
  #logits(out: tf.Tensor): tf.Tensor {
    return this.blockSize > 0 ? tf.reshape(out, [-1, this.data.outputs]) : out;
  }

  async #endEpoch(): Promise<EpochMetrics> {
    const epochLosses = this.state.stepLosses.slice(-this.stepsPerEpoch);
    const trainLoss = epochLosses.reduce((a, b) => a + b, 0) / epochLosses.length;
    const val = await this.validate();
    const m: EpochMetrics = { epoch: this.state.epoch, trainLoss, valLoss: val.loss, valAccuracy: val.accuracy };
    this.state.history.push(m);
    if (!this.state.best || val.loss < this.state.best.valLoss) this.state.best = { valLoss: val.loss, epoch: this.state.epoch };
    return m;
  }

  /** Eval-mode logits (or regression outputs) for `x`; the caller disposes. */
  predictLogits(x: tf.Tensor): tf.Tensor {
    return this.net.forward(x, false);
  }

  /** Loss and accuracy (classification) on the validation set, in eval mode. */
  validate(): Promise<Validation> {
    if (this.blockSize > 0) return validateTokens(this.net, this.data, this.blockSize, this.config.train.batchSize, this.config.train.evalBatches ?? DEFAULT_EVAL_BATCHES);
    return validate(this.net, this.data);
  }

  #progress(losses: number[], started: { step: number; trainTimeMs: number }, epochMetrics?: EpochMetrics): ProgressEvent {
    return progressEvent(this, losses, started, epochMetrics);
  }

  /** Params, buffers, then optimizer slots as `<param name>.<slot>`: the checkpoint's tensor order. */
  namedState(): NamedVariable[] {
    const names = slotNames(this.opt.settings);
    const slots = this.net.params.flatMap((p, i) => names.map((slot, k) => ({ name: `${p.name}.${slot}`, variable: this.opt.slots[i][k] })));
    return [...this.net.params, ...this.net.buffers, ...slots];
  }

  /**
   * Everything needed to continue this run exactly: tensors read back from the device (the only
   * part that waits on the GPU) and a copy of the plain state. Call between steps.
   */
  async snapshot(): Promise<{ trainer: TrainerSnapshot; tensors: TensorEntry[] }> {
    if (this.runState === 'training') await this.drain();
    const trainer = snapshotOf(this.state, this.opt.step);
    const tensors = (await readVariables(this.namedState())).map((t) => ({ ...t, dtype: 'float32' as const }));
    return { trainer, tensors };
  }

  /**
   * Puts a snapshot's tensors and state into this trainer (built from the same config), so the
   * next step is the one the snapshot's run would have taken. Throws on a name or shape mismatch
   * without having changed anything.
   */
  restore(snap: { trainer: TrainerSnapshot; tensors: TensorEntry[] }): void {
    const t = snap.trainer;
    const rng = Rng.fromState(t.rng as unknown as RngState); // throws on a bad state before anything changes
    this.#assign(this.namedState(), snap.tensors);
    this.#rng = rng;
    this.opt.step = t.optimizerStep;
    this.state = stateOf(t, this.#rng.state());
  }

  /**
   * Takes the weights and buffers of `tensors` (our names and layouts) and keeps this run's fresh
   * optimizer, schedule and data order: for fine-tuning. Checked in full before anything changes.
   */
  loadWeights(tensors: TensorEntry[]): void {
    this.#assign([...this.net.params, ...this.net.buffers], tensors);
  }

  #assign(targets: NamedVariable[], tensors: TensorEntry[]): void {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    for (const v of targets) {
      const t = byName.get(v.name);
      if (!t) throw new CorruptCheckpointError(`The checkpoint has no tensor "${v.name}" that this model needs. Adopt the checkpoint's model, or pick a checkpoint of this model.`);
      if (t.shape.join('x') !== v.variable.shape.join('x')) {
        throw new CorruptCheckpointError(`Tensor "${v.name}" has shape [${t.shape}] in the checkpoint but [${v.variable.shape}] in this model. Adopt the checkpoint's model, or pick a checkpoint of this model.`);
      }
    }
    for (const v of targets) v.variable.assign(tf.tidy(() => tf.tensor(byName.get(v.name)!.data, v.variable.shape)));
  }

  /** Weights, buffers and optimizer slots with the counters, read back asynchronously. */
  async readout(): Promise<RunStateReadout> {
    const s = this.state;
    return {
      tensors: await readVariables(this.namedState()),
      step: s.step,
      epoch: s.epoch,
      batchInEpoch: s.batchInEpoch,
      rng: [...s.rng],
      stepLosses: [...s.stepLosses],
      history: [...s.history],
    };
  }

  dispose(): void {
    disposeNet(this.net);
    disposeOptimizer(this.opt);
    if (this.#x) tf.dispose([this.#x, this.#y!]);
  }
}

/** Validation batches on text when the config does not say (nanoGPT's estimate_loss takes 200, too slow for the CPU backend). */
export const DEFAULT_EVAL_BATCHES = 20;

/**
 * Checks that the model family takes this kind of data, and that a text holds a full window in
 * both parts. Returns the block size on text, else 0.
 * @throws DatasetError saying what to pick instead
 */
function checkInput(config: RunConfig, data: Dataset): number {
  const family = familyOf(config.model);
  const wantsTokens = family.input === 'tokens';
  if (wantsTokens && !data.tokens) throw new DatasetError(`${family.label} models learn from text. Pick Tiny Shakespeare or a text upload in the Data cell, or another model.`);
  if (!wantsTokens && data.tokens) throw new DatasetError(`Text data needs a language model. Pick the GPT family (a GPT preset) in the Model cell.`);
  if (!data.tokens) return 0;
  const block = family.contextLength!(config.model);
  for (const [part, tokens] of [['training', data.tokens.train], ['validation', data.tokens.val]] as const) {
    if (tokens.length <= block) {
      throw new DatasetError(`The text's ${part} part has ${tokens.length.toLocaleString('en-US')} characters, fewer than one block of ${block} plus one. Use a longer text, or a smaller block size in the Model cell.`);
    }
  }
  return block;
}

