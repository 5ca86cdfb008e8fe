/**
 * The notebook's settings (notes, Data, Model, Train cells), autosaved to IndexedDB, plus the
 * dataset preview the Data and Model cells need. Create it while a component initialises: it
 * starts its own effects.
 */
import { createStore, get, set } from 'idb-keyval';
import { dataFileIds, DEFAULT_DATA, DEFAULT_TRAIN, type DataConfig, type ModelIO, type ModelSpec, type RunConfig, type TrainConfig } from '../shared/config';
import type { DataPreview } from '../shared/engine-api';
import { familyOf, FAMILIES, type Family } from '../families';
import { csvColumns } from '../sources/csv/parse';
import type { Engine } from './engine-client';
import { parseRecord, RECORD_VERSION, type LegacyCsv, type NotebookRecord } from './notebook-record';
import type { SharedNotebook } from './share';

const store = createStore('tab-trainer', 'notebook');
const KEY = 'notebook';
/** The notebook a shared link or file replaced, kept so "Back to my notebook" can switch back. */
const PREVIOUS_KEY = 'previous';
const SAVE_DELAY_MS = 300; // coalesces typing into one write
/** Every tab of this notebook posts its saved record here, and the others take it (no silent overwrite). */
const SYNC_CHANNEL = 'tab-trainer-notebook';
const PREVIEW_DELAY_MS = 250; // waits for the user to finish typing a number

const DEFAULT_TITLE = 'notebook';
const DEFAULT_NOTES = '# My experiment\n\nTry the **spiral** with a *Tiny MLP*, then make it harder.';

/** What a preview tells a model family about the data. */
export function ioOfPreview(p: Pick<DataPreview, 'kind' | 'inputShape' | 'outputs'>): ModelIO {
  return { task: p.kind, inputShape: [...p.inputShape], inputDtype: 'float32', outputs: p.outputs };
}

const TABULAR_2D: ModelIO = { task: 'classification', inputShape: [2], inputDtype: 'float32', outputs: 3 };

/** A fresh id for a run's checkpoints, e.g. "run-m2x1k9-4f7a". */
export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 4)}`;
}

export class Notebook {
  /** The run whose checkpoints Train autosaves and Resume continues. */
  runId = $state(newRunId());
  /** Names downloaded files. */
  title = $state(DEFAULT_TITLE);
  autoResume = $state(false);
  notes = $state(DEFAULT_NOTES);
  data = $state<DataConfig>({ ...DEFAULT_DATA });
  model = $state<ModelSpec>(FAMILIES[0].preset('Tiny MLP', TABULAR_2D));
  train = $state<TrainConfig>(structuredClone(DEFAULT_TRAIN));
  /** The engine's description of the current dataset; null until the first preview arrives. */
  preview = $state.raw<DataPreview | null>(null);
  previewError = $state<string | null>(null);
  previewing = $state(false);
  /** Shown once, e.g. when the saved notebook could not be read. */
  notice = $state<string | null>(null);
  saveStatus = $state<'loading' | 'saved' | 'saving' | 'failed'>('loading');
  /** The notebook a shared one replaced (its name), while "Back to my notebook" can restore it. */
  previous = $state<{ title: string; fileIds: string[] } | null>(null);

  summary = $derived(this.preview ? familyOf(this.model).summarize(this.model, ioOfPreview(this.preview)) : null);
  /** Why training cannot start now, or null when it can. */
  blocker = $derived(
    this.previewError ? 'Fix the dataset first.'
    : !this.preview ? 'Waiting for the dataset…'
    : this.summary?.error ? 'Fix the model first.'
    : null,
  );

  #engine: Engine;
  #loaded = $state(false);
  #saveTimer: ReturnType<typeof setTimeout> | undefined;
  #previewGeneration = 0;
  #sync: BroadcastChannel | null = typeof BroadcastChannel === 'function' ? new BroadcastChannel(SYNC_CHANNEL) : null;
  /** The record as last saved here or received from another tab: saving it again would only echo. */
  #synced = '';

  constructor(engine: Engine) {
    this.#engine = engine;
    void this.#restore();
    if (this.#sync) this.#sync.onmessage = (e: MessageEvent<NotebookRecord>) => this.#onRemote(e.data);
    $effect(() => () => this.#sync?.close());
    $effect(() => {
      if (!this.#loaded) return;
      const record = this.#record(); // reads every field, so any change re-runs this
      clearTimeout(this.#saveTimer);
      this.saveStatus = 'saving';
      this.#saveTimer = setTimeout(() => void this.#save(record), SAVE_DELAY_MS);
    });
    $effect(() => {
      if (!this.#loaded) return;
      const data = $state.snapshot(this.data);
      const timer = setTimeout(() => void this.#loadPreview(data), PREVIEW_DELAY_MS);
      return () => clearTimeout(timer);
    });
    const onPageHide = () => {
      clearTimeout(this.#saveTimer);
      if (this.#loaded) void this.#save(this.#record());
    };
    window.addEventListener('pagehide', onPageHide);
    $effect(() => () => window.removeEventListener('pagehide', onPageHide));
  }

  /** True once the saved notebook (and so its runId) is restored. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Replaces the model with a preset of its family (ignored for a name the family does not have). */
  applyPreset(name: string): void {
    const family = familyOf(this.model);
    if (!family.presets.includes(name)) return;
    this.#adaptPreset(name);
    this.#applyTraining(family, name);
  }

  /**
   * The same preset rebuilt for new data (a flatten for images): the model only. The training
   * settings stay the user's (a reload or an opened notebook previews its data again).
   */
  #adaptPreset(name: string): void {
    const family = familyOf(this.model);
    if (family.presets.includes(name)) this.model = family.preset(name, this.preview ? ioOfPreview(this.preview) : TABULAR_2D);
  }

  /** The training settings a preset comes with, if its family has any (GPT's are nanoGPT's). */
  #applyTraining(family: Family, name: string): void {
    const training = family.presetTraining?.(name);
    if (training) Object.assign(this.train, training, { schedule: { ...this.train.schedule, ...training.schedule } });
  }

  /**
   * Stores an uploaded data file once (by content) in the worker's file store and returns its id;
   * the file the notebook used before is freed unless a run still uses it.
   */
  async storeFile(name: string, bytes: Uint8Array): Promise<string> {
    return this.#engine.storeFile(name, bytes, this.previous?.fileIds ?? []);
  }

  /** Data files to keep when files are freed: this notebook's and the previous notebook's. */
  keptFiles(): string[] {
    return [...dataFileIds(this.data), ...(this.previous?.fileIds ?? [])];
  }

  /**
   * Switches the notebook to another stored run (an uploaded bundle): its settings and notes become
   * the notebook's, so Resume continues it exactly.
   */
  adoptRun(runId: string, config: RunConfig, notes: string): void {
    this.runId = runId;
    this.data = structuredClone(config.data);
    this.model = structuredClone(config.model);
    this.train = { ...structuredClone(config.train), backend: this.train.backend };
    this.notes = notes;
  }

  /** The settings a Share link or notebook file carries. */
  shared(): SharedNotebook {
    const r = this.#record();
    return { title: r.title ?? DEFAULT_TITLE, notes: r.notes, data: r.data, model: r.model, train: r.train };
  }

  /**
   * Opens a shared notebook in place of this one, under `runId` (a new run, or the run of the
   * checkpoint it brought). This notebook is saved first as the previous one, with its run id, so
   * "Back to my notebook" restores it and its checkpoints; nothing is deleted. `beforeSwitch` runs
   * just before the run id changes (the page forgets the old run's view there).
   */
  async replace(shared: SharedNotebook, runId: string, beforeSwitch: () => void): Promise<void> {
    const current = this.#record();
    await set(PREVIOUS_KEY, current, store); // throws (a full disk): then nothing was replaced
    this.previous = { title: current.title ?? DEFAULT_TITLE, fileIds: dataFileIds(current.data) };
    beforeSwitch();
    this.#apply({ ...shared, version: RECORD_VERSION, runId, autoResume: false });
  }

  /** Switches back to the notebook a shared one replaced; the shared one becomes the previous. */
  async backToPrevious(beforeSwitch: () => void): Promise<void> {
    const stored: unknown = await get(PREVIOUS_KEY, store);
    const record = stored === undefined ? 'it is no longer stored' : parseRecord(stored);
    if (typeof record === 'string') {
      this.previous = null;
      throw new Error(`Your previous notebook could not be read (${record}).`);
    }
    const current = this.#record();
    await set(PREVIOUS_KEY, current, store);
    this.previous = { title: current.title ?? DEFAULT_TITLE, fileIds: dataFileIds(current.data) };
    beforeSwitch();
    this.#apply(record);
  }

  #apply(record: NotebookRecord): void {
    this.runId = record.runId ?? newRunId();
    this.title = record.title ?? DEFAULT_TITLE;
    this.autoResume = record.autoResume ?? false;
    this.notes = record.notes;
    this.data = structuredClone(record.data);
    this.model = structuredClone(record.model);
    this.train = structuredClone(record.train);
  }

  /** What the Train button sends: plain data (proxies cannot cross to the worker). */
  runConfig(backend: TrainConfig['backend']): RunConfig {
    const train = $state.snapshot(this.train);
    return { data: $state.snapshot(this.data), model: $state.snapshot(this.model), train: { ...train, backend } };
  }

  #record(): NotebookRecord {
    return {
      version: RECORD_VERSION,
      runId: this.runId,
      title: this.title,
      autoResume: this.autoResume,
      notes: this.notes,
      data: $state.snapshot(this.data),
      model: $state.snapshot(this.model),
      train: $state.snapshot(this.train),
    };
  }

  async #save(record: NotebookRecord): Promise<void> {
    const json = JSON.stringify(record);
    if (json === this.#synced) {
      this.saveStatus = 'saved'; // another tab saved exactly this
      return;
    }
    try {
      await set(KEY, record, store);
      this.#synced = json;
      this.#sync?.postMessage(record);
      this.saveStatus = 'saved';
    } catch (e) {
      console.error('Saving the notebook to IndexedDB failed:', e);
      this.saveStatus = 'failed';
    }
  }

  /** Another tab saved the notebook: show its record here (it is stored already). */
  #onRemote(record: NotebookRecord): void {
    if (!this.#loaded || record?.version !== RECORD_VERSION) return;
    this.#synced = JSON.stringify(record);
    clearTimeout(this.#saveTimer); // this tab's unsaved edit is older than the record just saved
    this.#apply({ ...record, runId: record.runId ?? this.runId });
  }

  async #restore(): Promise<void> {
    try {
      const stored: unknown = await get(KEY, store);
      if (stored !== undefined) {
        const record = parseRecord(stored);
        if (typeof record === 'string') {
          console.warn('Saved notebook unreadable:', record, stored);
          this.notice = `The saved notebook could not be read (${record}), so it starts from the defaults.`;
        } else {
          if (record.runId) this.runId = record.runId;
          this.title = record.title ?? DEFAULT_TITLE;
          this.autoResume = record.autoResume ?? false;
          this.notes = record.notes;
          this.data = record.legacyCsv ? { ...record.data, csv: await this.#migrateCsv(record.legacyCsv) } : record.data;
          this.model = record.model;
          this.train = record.train;
        }
      }
      this.saveStatus = 'saved';
      const previous = parseRecord(await get(PREVIOUS_KEY, store));
      if (typeof previous !== 'string') this.previous = { title: previous.title ?? DEFAULT_TITLE, fileIds: dataFileIds(previous.data) };
    } catch (e) {
      console.error('Reading the notebook from IndexedDB failed:', e);
      this.notice = 'The saved notebook could not be opened (storage unavailable); changes may not be kept.';
      this.saveStatus = 'failed';
    }
    this.#loaded = true;
  }

  /**
   * A version-1 notebook's CSV text, moved to the file store (once) and referenced by id. When that
   * fails (a full disk), the rest of the notebook still opens and the Data cell asks for the file.
   */
  async #migrateCsv(legacy: LegacyCsv): Promise<DataConfig['csv']> {
    try {
      const fileId = await this.#engine.storeFile(legacy.fileName, new TextEncoder().encode(legacy.text));
      return { fileName: legacy.fileName, fileId, columns: csvColumns(legacy.text), labelColumn: legacy.labelColumn, task: legacy.task };
    } catch (e) {
      console.error('Moving the notebook\'s CSV file to browser storage failed:', e);
      this.notice = `The notebook's CSV file ${legacy.fileName} could not be kept in browser storage (${(e as Error)?.message ?? e}). Free some space, then choose the file again in the Data cell.`;
      return undefined;
    }
  }

  /**
   * Text needs a language model and other data a sample model: switching between them takes the
   * first preset of a family that fits (GPT nano comes with nanoGPT's training settings for it).
   */
  #switchFamily(toText: boolean, preview: DataPreview): void {
    const family = FAMILIES.find((f) => (f.input === 'tokens') === toText)!;
    const name = family.presets[0];
    this.model = family.preset(name, ioOfPreview(preview));
    this.#applyTraining(family, name);
    // nanoGPT's split for text: the first 90% trains, the last 10% validates.
    if (toText && this.data.validationSplit === DEFAULT_DATA.validationSplit) this.data.validationSplit = 0.1;
  }

  async #loadPreview(data: DataConfig): Promise<void> {
    const generation = ++this.#previewGeneration;
    this.previewing = true;
    try {
      const preview = await this.#engine.previewData(data);
      if (generation !== this.#previewGeneration) return; // superseded by a newer change
      const oldShape = this.preview?.inputShape.join();
      this.preview = preview;
      this.previewError = null;
      const isText = preview.type === 'text';
      if (isText !== (familyOf(this.model).input === 'tokens')) this.#switchFamily(isText, preview);
      // A preset adapts to the new input (e.g. a flatten for images); an edited model is left alone.
      else if (oldShape !== preview.inputShape.join()) this.#adaptPreset(this.model.name);
    } catch (e) {
      if (generation !== this.#previewGeneration) return;
      const err = e as Error;
      if (err?.name !== 'DatasetError') console.error('Dataset preview failed:', e);
      this.previewError = err?.name === 'DatasetError' ? err.message : `Could not load the dataset: ${err?.message ?? String(e)}`;
      this.preview = null;
    } finally {
      if (generation === this.#previewGeneration) this.previewing = false;
    }
  }
}
