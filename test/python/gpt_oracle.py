"""PyTorch oracle for the GPT family (src/families/gpt/torch.test.ts).

Usage: python3 gpt_oracle.py CASE.json
CASE.json: {"python": the family's model code (binds `model`), "state_dict": {name: {"shape", "data"}},
            "idx": [[token ids]], "targets": [[token ids]], "lr", "weight_decay", "beta2", "clip"}
Prints one JSON object:
  keys       model.state_dict() keys in order; params: named_parameters() names in order
  logits     eval-mode logits for idx, after load_state_dict(strict=True)
  loss       mean cross-entropy of logits against targets
  after      every parameter after one AdamW step (nanoGPT's groups: decay on tensors of >= 2 dims),
             the gradients clipped to a global norm of `clip`
"""
import json, sys

import torch
from torch import nn

case = json.load(open(sys.argv[1]))
scope = {"torch": torch, "nn": nn}
exec(case["python"], scope)
model = scope["model"]
sd = {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in case["state_dict"].items()}
model.load_state_dict(sd, strict=True)
idx = torch.tensor(case["idx"], dtype=torch.long)
targets = torch.tensor(case["targets"], dtype=torch.long)

model.eval()
with torch.no_grad():
    logits = model(idx)

model.train()
params = dict(model.named_parameters())
decay = [p for p in params.values() if p.dim() >= 2]
no_decay = [p for p in params.values() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": case["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=case["lr"], betas=(0.9, case["beta2"]))
out = model(idx)
loss = nn.functional.cross_entropy(out.view(-1, out.shape[-1]), targets.view(-1))
opt.zero_grad()
loss.backward()
torch.nn.utils.clip_grad_norm_(model.parameters(), case["clip"])
opt.step()

print(json.dumps({
    "keys": list(model.state_dict().keys()),
    "params": list(params.keys()),
    "logits": logits.flatten().tolist(),
    "loss": loss.item(),
    "after": {k: p.detach().flatten().tolist() for k, p in params.items()},
}))
