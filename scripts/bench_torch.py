"""PyTorch's speed on our bench models, for `npm run bench` (scripts/bench-torch.mjs runs it in the
Debian trixie root, torch 2.x with OpenBLAS, the way a user's pip torch would run on this CPU).

Usage: python3 bench_torch.py SECONDS
Trains each model, nn.Sequential with the same layers as ours, with Adam (lr 1e-3) on random
digits-shaped batches of 64 (speed does not depend on the values), once with
torch.set_num_threads(1) and once with every core. Prints one JSON object:
{"torch", "blas" (the BLAS libraries loaded), "cores", "results": [{"model", "threads", "samplesPerSec"}]}.
"""
import json, os, sys, time

import torch
from torch import nn

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
BATCH = 64

MODELS = {
    # CNN small (src/shared/model-spec.ts): conv 3x3x8, pool 2, conv 3x3x16, pool 2, dense 64, head 10.
    "CNN small": lambda: nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10)),
    # MLP small: 784-128-10.
    "MLP small": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)),
}


def rate(make, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(800, 1, 28, 28)
    y = torch.randint(0, 10, (800,))
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        j = (i * BATCH) % (800 - BATCH)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[j:j + BATCH]), y[j:j + BATCH])
        loss.backward()
        opt.step()
        return loss

    for i in range(20):  # warm-up
        step(i)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < SECONDS:
        step(steps).item()
        steps += 1
    return steps * BATCH / (time.perf_counter() - t0)


cores = os.cpu_count() or 1
MODELS["CNN small"]()(torch.rand(1, 1, 28, 28)).sum().backward()  # loads the BLAS torch really uses
with open("/proc/self/maps") as maps:  # needs /proc in the root (bench-torch.mjs mounts it)
    blas = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
results = [{"model": name, "threads": t, "samplesPerSec": rate(make, t)} for name, make in MODELS.items() for t in sorted({1, cores})]
print(json.dumps({"torch": torch.__version__, "blas": blas, "cores": cores, "results": results}))
