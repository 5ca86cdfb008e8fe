/*
 * The GPT family in PyTorch: our tensors already have nanoGPT's names and PyTorch's layouts
 * (spec.ts), so every state_dict entry maps to ours unchanged. The LM head is tied to the token
 * embedding: `lm_head.weight` is in the state_dict (after transformer.ln_f) but not a parameter of its own.
 *
 * The Python below is our own GPT with nanoGPT's module names (nanoGPT's `GPT` loads its
 * state_dict, and it loads nanoGPT's; with torch >= 2.0 nanoGPT keeps no `attn.bias` mask buffer).
 */
import type { ModelIO, ModelSpec } from '../../shared/config';
import { BundleError } from '../../shared/errors';
import type { TorchModel, TorchTensor } from '../contract';
import { asGpt, gptSpecProblem, gptTensors, vocabOf, type GptSpec } from './spec';

const copy = (d: Float32Array) => Float32Array.from(d);

/** Python float literal: 0.1 -> "0.1", 0 -> "0.0". */
const pyFloat = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

/** The model classes (no imports beyond torch and nn); `gptModelLine` binds `model`. */
export const GPT_PYTHON = `class LayerNorm(nn.Module):
    """LayerNorm with an optional bias (eps 1e-5)."""
    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None

    def forward(self, x):
        return nn.functional.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, dropout, bias):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)  # q, k, v in one
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x):
        b, t, c = x.shape
        heads = lambda z: z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        q, k, v = (heads(z) for z in self.c_attn(x).split(c, dim=2))
        att = (q @ k.transpose(-2, -1)) * (1.0 / (k.shape[-1] ** 0.5))
        future = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        att = self.attn_dropout(att.masked_fill(future, float("-inf")).softmax(dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, n_embd, dropout, bias):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = nn.GELU()  # exact (erf)
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, dropout, bias):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd, bias)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
        self.ln_2 = LayerNorm(n_embd, bias)
        self.mlp = MLP(n_embd, dropout, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT's GPT: its state_dict keys, tied LM head; forward(idx) -> logits [batch, time, vocab]."""
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab_size, n_embd),
            wpe=nn.Embedding(block_size, n_embd),
            drop=nn.Dropout(dropout),
            h=nn.ModuleList([Block(n_embd, n_head, dropout, bias) for _ in range(n_layer)]),
            ln_f=LayerNorm(n_embd, bias),
        ))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied

    def forward(self, idx):
        t = idx.shape[1]
        pos = torch.arange(t, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))`;

/** `model = GPT(…)` for `spec` over `vocabSize` tokens. */
export function gptModelLine(spec: GptSpec, vocabSize: number): string {
  const { blockSize, nLayer, nHead, nEmbd, dropout, bias } = spec;
  return `model = GPT(vocab_size=${vocabSize}, block_size=${blockSize}, n_layer=${nLayer}, n_head=${nHead}, n_embd=${nEmbd}, dropout=${pyFloat(dropout)}, bias=${bias ? 'True' : 'False'})`;
}

/** The GPT family's torch.nn model: every state_dict key (ours unchanged) and its Python. */
export function gptTorch(model: ModelSpec, io: Pick<ModelIO, 'outputs'>): TorchModel {
  const problem = gptSpecProblem(model);
  if (problem) throw new BundleError(`the GPT model cannot be mapped to PyTorch: ${problem}. Fix the model in the Model cell.`);
  const spec = asGpt(model);
  const vocab = vocabOf(io);
  const entry = (name: string, shape: number[], role: TorchTensor['role'], ourName = name): TorchTensor => ({
    torchName: name, torchShape: [...shape], ourName, ourShape: [...shape], role, toTorch: copy, fromTorch: copy,
  });
  const params = gptTensors(spec, vocab).map((t) => entry(t.name, t.shape, 'param'));
  const tensors = [...params, entry('lm_head.weight', [vocab, spec.nEmbd], 'tied', 'transformer.wte.weight')];
  return {
    tensors,
    params,
    torchInputShape: [spec.blockSize],
    torchInputDtype: 'long',
    python: `${GPT_PYTHON}\n\n\n${gptModelLine(spec, vocab)}`,
  };
}
