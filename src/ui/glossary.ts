/**
 * Short explanations of the technical words the notebook uses, for a first-time student: what it
 * is, in two sentences at most. Term.svelte shows one a click away from the word.
 */
export const GLOSSARY = {
  epoch: ['epoch', 'One pass over all the training data. Training for 10 epochs shows the network every training sample 10 times.'],
  batchSize: ['batch size', 'How many samples the network looks at before it adjusts its weights once (one step). Small batches: more, noisier steps.'],
  learningRate: ['learning rate', 'How big each adjustment of the weights is. Too high and the loss jumps around or explodes; too low and learning crawls.'],
  optimizer: ['optimizer', 'The rule that turns the gradient (which way each weight should move) into the actual change. Adam adapts the step size per weight.'],
  schedule: ['schedule', 'How the learning rate changes during training: constant, dropping in steps, or a cosine curve after a warm-up.'],
  backend: ['backend', 'Where the maths runs in your browser: WebGPU or WebGL (the graphics chip), WASM or plain JavaScript (the processor). Results are the same; speed differs.'],
  checkpoint: ['checkpoint', 'A saved snapshot of the whole training run: weights, optimizer state and progress, so training can resume exactly where it stopped.'],
  logits: ['logits', 'The raw scores the last layer gives each class, before softmax turns them into probabilities that add up to 1.'],
  stateDict: ['state_dict', "PyTorch's name for a model's weights: a dictionary from layer names (like 0.weight) to tensors."],
  validation: ['validation', 'Data kept aside and never trained on. How the model does on it shows whether it learned the pattern or memorised the training data.'],
} as const satisfies Record<string, readonly [string, string]>;

export type GlossaryKey = keyof typeof GLOSSARY;
