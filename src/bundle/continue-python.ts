/*
 * train.py of the "Continue in PyTorch" zip: our own Python, readable top to bottom, needing only
 * torch. It continues a run from the zip's bundle.pt exactly as the tab would: the same batches in
 * the same order (a Python port of shared/rng.ts and the trainer's per-epoch permutation), the same
 * loss, optimizer and learning-rate schedule (engine/schedule.ts as a LambdaLR of the global step),
 * and writes checkpoints in our bundle format (checkpoint-bundle.ts) that upload back into the tab.
 * Under torchrun each global batch is split across the processes, and each process's summed loss is
 * scaled so that DistributedDataParallel's average of the gradients is the one-process gradient.
 *
 * The model's code comes from the run's family (families/<id>/torch.ts `python`); everything else
 * is the same for every family whose model takes one tensor and gives logits or one output.
 */

/** Where each part of train.py starts, so the notebook can show them as separate cells. */
export interface TrainPyParts {
  header: string;
  model: string;
  library: string;
  main: string;
}

/** Python string literal of `s` (JSON's escapes are valid Python). */
const pyString = (s: string) => JSON.stringify(s);

/**
 * The parts of train.py.
 * @param modelPython the family's `model = …` code (top level), indented into build_model() here
 * @param about what the header says about the run
 */
export function trainPyParts(modelPython: string, about: { notebookName: string; epoch: number; step: number; family: string }): TrainPyParts {
  const header = `#!/usr/bin/env python3
"""Continues the Tab Trainer run of notebook ${pyString(about.notebookName)} in PyTorch, from epoch ${about.epoch} (step ${about.step}).

    python train.py --epochs 5                        # one process (CPU; --device cuda for a GPU)
    torchrun --nproc_per_node=4 train.py --epochs 5   # data parallel: each batch split across 4 processes

It reads bundle.pt (the run's checkpoint, with its data as the model sees it), trains on exactly as
the tab would (the same batches in the same order, the same optimizer and learning-rate schedule),
prints each epoch's losses, and writes checkpoints in the tab's own format into checkpoints/:
upload one in the tab's Checkpoints cell to go on there. Needs only PyTorch (1.13 or newer).
"""
import argparse
import copy
import math
import os
import re
import time
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

BUNDLE = "bundle.pt"
`;
  const body = modelPython.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
  const model = `
def build_model():
    """The run's model (family ${pyString(about.family)}) in torch.nn."""
${body}
    return model
`;
  const library = String.raw`

# ---- The tab's random generator: xoshiro128** (Blackman & Vigna) on four 32-bit words ----

MASK32 = 0xFFFFFFFF


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


class Rng:
    """The generator the tab draws data orders (and dropout seeds) from, continued from its saved state."""

    def __init__(self, state):
        self.s = [int(w) & MASK32 for w in state]

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (rotl((s1 * 5) & MASK32, 7) * 9) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def below(self, n):
        """A uniform integer in [0, n), without modulo bias (values past the last multiple of n are redrawn)."""
        limit = 2**32 - 2**32 % n
        x = self.next_uint32()
        while x >= limit:
            x = self.next_uint32()
        return x % n

    def permutation(self, n):
        """The order of one epoch: a Fisher-Yates shuffle of 0..n-1, as the tab draws it."""
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.below(i + 1)
            p[i], p[j] = p[j], p[i]
        return torch.tensor(p, dtype=torch.long)


# ---- The tab's learning-rate schedule, a function of the global step ----

def learning_rate_at(step, base, schedule, steps_per_epoch, total_steps):
    """The rate of the step about to be taken (0-based global step); total_steps is the planned length."""
    k = max(0, int(step))
    name = schedule["name"]
    if name == "constant":
        return base
    if name == "step":
        epoch = k // max(1, int(steps_per_epoch))
        every = max(1, int(schedule["stepEpochs"]))
        return base * math.pow(schedule["gamma"], epoch // every)
    if name == "cosine":
        warmup = max(0, int(schedule["warmupSteps"]))
        if k < warmup:
            return base * (k + 1) / warmup
        low = base * schedule["minLrFactor"]
        span = total_steps - warmup
        progress = min(1.0, (k - warmup) / span) if span > 0 else 1.0
        return low + (base - low) * 0.5 * (1 + math.cos(math.pi * progress))
    raise SystemExit(f"Unknown learning-rate schedule {name!r}: this train.py is older than the bundle.")


def build_optimizer(params, train):
    """The optimizer of the run's config; load_state_dict then restores its state."""
    name, lr, decay, momentum = train["optimizer"], train["learningRate"], train["weightDecay"], train["momentum"]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8, momentum=momentum, weight_decay=decay)
    raise SystemExit(f"Unknown optimizer {name!r}: this train.py is older than the bundle.")


# ---- Files ----

def load(path):
    """torch >= 2.0 reads the bundle with weights_only=True: no code from the file can run. torch 1.13's
    weights_only reader cannot read Python floats (pytorch#94670), so there the full unpickler reads
    it: use that only on files you made yourself."""
    if int(torch.__version__.split(".")[0]) >= 2:
        return torch.load(path, map_location="cpu", weights_only=True)
    return torch.load(path, map_location="cpu")


def load_data(bundle, data_path):
    """The training and validation tensors as the model sees them (standardized; images as N, C, H, W)."""
    data = bundle.get("dataset")
    if data_path:
        data = load(data_path)
        data = data.get("dataset", data)  # a bundle that carries its data, or the dataset dict alone
    if data is None:
        note = bundle.get("dataset_note") or "The bundle was downloaded without its data."
        raise SystemExit(f"{note} Download the zip again with \"Include the dataset\" checked, or pass "
                         f"--data FILE: a torch.save'd dict of x_train, y_train, x_val, y_val as the model sees them.")
    for key in ("x_train", "y_train", "x_val", "y_val"):
        if key not in data:
            raise SystemExit(f"The data has no {key!r}: it needs x_train, y_train, x_val and y_val.")
    return data["x_train"], data["y_train"], data["x_val"], data["y_val"]


def save_atomically(obj, path):
    tmp = path + ".part"
    torch.save(obj, tmp)
    os.replace(tmp, path)


# ---- Loss and validation, as the tab computes them ----

def summed_loss(out, y, task):
    """Cross-entropy of logits (classification) or squared error (regression), summed over the batch."""
    if task == "regression":
        return ((out - y) ** 2).sum()
    return F.cross_entropy(out, y, reduction="sum")


@torch.no_grad()
def validate(model, x, y, task, device, batch=1024):
    """Mean loss and accuracy (classification) on the validation set, in eval mode."""
    model.eval()
    n = len(y)
    total, correct = 0.0, 0
    for start in range(0, n, batch):
        xb, yb = x[start:start + batch].to(device), y[start:start + batch].to(device)
        out = model(xb)
        total += float(summed_loss(out, yb, task))
        if task == "classification":
            correct += int((out.argmax(1) == yb).sum())
    model.train()
    loss = total / n if n else float("nan")
    return loss, (correct / n if n and task == "classification" else None)


def dropout_draws(model):
    """Seeds the tab draws per training step: one per dropout layer with a rate above 0, in order."""
    return sum(1 for m in model.modules() if isinstance(m, nn.Dropout) and m.p > 0)


def move(value, device):
    if torch.is_tensor(value):
        return value.detach().to(device).clone()
    if isinstance(value, dict):
        return type(value)((k, move(v, device)) for k, v in value.items())
    if isinstance(value, list):
        return [move(v, device) for v in value]
    return value


# ---- Distributed data parallel (torchrun) ----

def setup_distributed(device_name):
    """rank, world size and device; under torchrun joins the process group (nccl on CUDA, gloo on CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = device_name == "cuda" or (device_name == "auto" and torch.cuda.is_available() and world > 1)
    if world == 1:
        return 0, 1, torch.device("cuda" if cuda else "cpu")
    torch.distributed.init_process_group("nccl" if cuda else "gloo")
    rank = torch.distributed.get_rank()
    if cuda:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
        return rank, world, device
    return rank, world, torch.device("cpu")


# ---- Checkpoints in the tab's bundle format ----

def checkpoint(bundle, model, optimizer, run, kind):
    """The bundle the tab reads: its own keys, with this run's weights, optimizer state and history."""
    ckpt = dict(bundle)  # keeps format, notebook, input_shape, num_outputs, about, data_files, dataset
    config = copy.deepcopy(bundle["config"])
    train = config["train"]
    # The schedule keeps its planned length, as the tab's "Train N more epochs" keeps it.
    train["scheduleEpochs"] = train.get("scheduleEpochs", train["epochs"])
    train["epochs"] = max(train["epochs"], run["epoch"])
    lr = optimizer.param_groups[0]["lr"]
    old = bundle["checkpoint"]
    val_loss = run["history"][-1]["val_loss"] if run["history"] else float("nan")
    ckpt.update({
        "model_state_dict": OrderedDict((k, v.detach().cpu().clone()) for k, v in model.state_dict().items()),
        "optimizer_state_dict": move(optimizer.state_dict(), "cpu"),
        "scheduler_state_dict": {**bundle["scheduler_state_dict"], "last_epoch": run["step"], "_last_lr": [lr]},
        "global_step": run["step"],
        "epoch": run["epoch"],
        "best_val_loss": run["best"][0] if run["best"] else None,
        "best_epoch": run["best"][1] if run["best"] else None,
        "config": config,
        "train_history": torch.tensor(run["losses"], dtype=torch.float32),
        "val_history": run["history"],
        "rng_state": torch.tensor(run["rng"].s, dtype=torch.int64),
        "batch_in_epoch": 0,
        "epoch_order": None,
        "train_time_ms": run["train_time_ms"],
        "checkpoint": {
            "id": f"e{run['epoch']:06d}-s{run['step']:06d}-{kind}",
            "run_id": old["run_id"],
            "kind": kind,
            "created_at": time.time() * 1000.0,
            "backend": old["backend"],
            "val_loss": val_loss,
            "written_by": f"train.py on torch {torch.__version__}",
        },
    })
    return ckpt


# ---- Training ----

def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Continues a Tab Trainer run in PyTorch.")
    p.add_argument("--epochs", type=int, default=1, help="epochs to train on (default 1)")
    p.add_argument("--bundle", default=BUNDLE, help="the checkpoint to continue from (default bundle.pt; also one this script wrote)")
    p.add_argument("--data", default=None, help="the data, when the bundle has none: a torch.save'd dict of x_train, y_train, x_val, y_val")
    p.add_argument("--out", default="checkpoints", help="folder for the checkpoints (default checkpoints)")
    p.add_argument("--save-every", type=int, default=1, help="write a checkpoint every N epochs (and always at the end)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CPU for one process, CUDA under torchrun when present")
    return p.parse_args(argv)


def continue_run(args):
    """Trains args.epochs more epochs from args.bundle; returns the losses and the checkpoints written."""
    rank, world, device = setup_distributed(args.device)
    bundle = load(args.bundle)
    if bundle.get("format") != "tab-trainer":
        raise SystemExit(f"{args.bundle} is not a Tab Trainer checkpoint (no format 'tab-trainer').")
    config, about = bundle["config"], bundle["about"]
    train, task = config["train"], about["task"]
    x_train, y_train, x_val, y_val = load_data(bundle, args.data)
    n, batch_size, steps_per_epoch = len(y_train), train["batchSize"], about["steps_per_epoch"]
    if steps_per_epoch != math.ceil(n / batch_size):
        raise SystemExit(f"The data has {n} training samples, so {math.ceil(n / batch_size)} batches of {batch_size} "
                         f"an epoch, but the run has {steps_per_epoch}: this is not the run's data.")
    total_steps = steps_per_epoch * train.get("scheduleEpochs", train["epochs"])

    model = build_model()
    model.load_state_dict(bundle["model_state_dict"])
    model.to(device).train()
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    optimizer = build_optimizer(ddp.parameters(), train)
    optimizer.load_state_dict(bundle["optimizer_state_dict"])
    base = train["learningRate"]
    for group in optimizer.param_groups:
        group["initial_lr"] = base
    # LambdaLR counts its own steps: started at the run's global step, it computes the tab's schedule.
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: learning_rate_at(k, base, train["schedule"], steps_per_epoch, total_steps) / base,
        last_epoch=bundle["global_step"] - 1)

    run = {
        "epoch": bundle["epoch"], "step": bundle["global_step"], "rng": Rng(bundle["rng_state"].tolist()),
        "losses": bundle["train_history"].tolist(), "history": list(bundle["val_history"]),
        "best": (bundle["best_val_loss"], bundle["best_epoch"]) if bundle["best_val_loss"] is not None else None,
        "train_time_ms": float(bundle["train_time_ms"]),
    }
    order = bundle["epoch_order"]
    batch_in_epoch = bundle["batch_in_epoch"] if order is not None else 0
    draws = dropout_draws(model)
    last_epoch = run["epoch"] + args.epochs
    written = []
    if rank == 0:
        print(f"Continuing {bundle['notebook']['name']!r} from epoch {run['epoch']}, step {run['step']}: "
              f"{n} training and {len(y_val)} validation samples, {steps_per_epoch} steps an epoch, "
              f"{world} process{'es' if world > 1 else ''} on {device}.", flush=True)
    os.makedirs(args.out, exist_ok=True)
    while run["epoch"] < last_epoch:
        started = time.perf_counter()
        if batch_in_epoch == 0 or order is None:
            order = run["rng"].permutation(n)
        for b in range(batch_in_epoch, steps_per_epoch):
            idx = order[b * batch_size:min((b + 1) * batch_size, n)]
            for _ in range(draws):  # the tab's dropout seeds: drawn to keep the order in step
                torch.manual_seed(run["rng"].next_uint32() + rank)
            mine = idx.tensor_split(world)[rank]  # this process's share of the global batch
            xb, yb = x_train[mine].to(device), y_train[mine].to(device)
            optimizer.zero_grad(set_to_none=True)
            loss_sum = summed_loss(ddp(xb), yb, task)
            # DDP averages the processes' gradients: scaled by world / batch, that is the batch mean's gradient.
            (loss_sum * (world / len(idx))).backward()
            optimizer.step()
            scheduler.step()
            loss = loss_sum.detach() / len(idx)
            if world > 1:
                torch.distributed.all_reduce(loss)
            run["losses"].append(float(loss))
            run["step"] += 1
        batch_in_epoch, order = 0, None
        run["epoch"] += 1
        run["train_time_ms"] += (time.perf_counter() - started) * 1000.0
        train_loss = sum(run["losses"][-steps_per_epoch:]) / steps_per_epoch
        val_loss, accuracy = validate(model, x_val, y_val, task, device)
        metrics = {"epoch": run["epoch"], "train_loss": train_loss, "val_loss": val_loss}
        if accuracy is not None:
            metrics["val_accuracy"] = accuracy
        run["history"].append(metrics)
        if run["best"] is None or val_loss < run["best"][0]:
            run["best"] = (val_loss, run["epoch"])
        if rank == 0:
            shown = f" · val accuracy {accuracy * 100:.1f}%" if accuracy is not None else ""
            print(f"epoch {run['epoch']} · step {run['step']} · train loss {train_loss:.4f} · val loss {val_loss:.4f}{shown}"
                  f" · lr {optimizer.param_groups[0]['lr']:.3g}", flush=True)
        done = run["epoch"] >= last_epoch
        if rank == 0 and (done or (run["epoch"] - last_epoch + args.epochs) % max(1, args.save_every) == 0):
            path = os.path.join(args.out, f"{safe_name(bundle['notebook']['name'])}-epoch{run['epoch']}.pt")
            save_atomically(checkpoint(bundle, model, optimizer, run, "final" if done else "periodic"), path)
            written.append(path)
            print(f"wrote {path}", flush=True)
    if world > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return {"losses": run["losses"], "history": run["history"], "written": written}


def safe_name(name):
    """The notebook's name as the tab makes file names of it."""
    return re.sub(r"[^\w.-]+", "-", name.strip()).strip("-") or "notebook"
`;
  const main = `

def main(argv=None):
    return continue_run(parse_args(argv))


if __name__ == "__main__":
    main()
`;
  return { header, model, library, main };
}

/** The whole train.py. */
export function trainPy(parts: TrainPyParts): string {
  return parts.header + parts.model + parts.library + parts.main;
}
