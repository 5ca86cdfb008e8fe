"""Oracle for files.e2e.ts: checks downloaded files with the real torch, and makes state_dicts to upload.

Usage: python3 check_download.py MODE PATH [OUT]   (torch 1.13 on the host, or 2.x in the trixie root)
  bundle PATH       our checkpoint bundle: keys, epoch, step, config; model and Adam load strictly
  weights-pt PATH   a plain state_dict: loads strictly into the Spiral Tiny MLP
  safetensors PATH  header is 8-byte little-endian length + JSON; tensors load strictly
  make PATH         saves the Spiral Tiny MLP's state_dict (seed 0) with torch.save
  make-bad PATH     saves a state_dict whose middle layer has 8 units (size mismatch)
  make-big PATH     saves the Tiny MLP's state_dict plus a 100 MB tensor "big.weight" (unexpected key)
  make-training PATH  saves a training dict as users write one: model_state_dict (the seed-0 weights of
                    make), optimizer_state_dict of an Adam that took no step, epoch, loss
  make-safetensors PATH  the seed-0 weights with safetensors.torch.save_file (needs python3-safetensors)
  resave PATH OUT   loads our bundle as users do and saves it again with torch.save, unchanged
Prints one JSON object with "torch": its version; exits 1 with {"error": ...} when a check fails.
Every .pt is loaded as users load it: torch 2.x with torch.load(f, weights_only=True); torch 1.13,
whose weights_only reader lacks Python floats, with the full unpickler, only after every GLOBAL in
data.pkl was checked against torch's weights_only allow-list without executing anything.
"""
import json, pickletools, struct, sys, zipfile

import torch
from torch import nn
from torch import _weights_only_unpickler as wou

ALLOWED = set(wou._get_allowed_globals().keys())
TORCH2 = int(torch.__version__.split(".")[0]) >= 2


def tiny_mlp(hidden=16):
    """Spiral (2 inputs, 3 classes) with the Tiny MLP preset: two hidden Dense(16, relu)."""
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def safe_load(path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
        data = z.read(name)
    bad = sorted({arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"} - ALLOWED)
    if bad:
        raise ValueError(f"globals not on the weights_only allow-list: {bad}")
    return torch.load(path, weights_only=True) if TORCH2 else torch.load(path)


def check_bundle(path):
    ckpt = safe_load(path)
    missing = {"model_state_dict", "optimizer_state_dict", "epoch", "global_step", "config"} - set(ckpt)
    if missing:
        raise ValueError(f"missing keys {sorted(missing)} in {sorted(ckpt)}")
    model = tiny_mlp()
    model.load_state_dict(ckpt["model_state_dict"], strict=True)
    optimizer = torch.optim.Adam(model.parameters())
    optimizer.load_state_dict(ckpt["optimizer_state_dict"])
    out = model(torch.tensor([[0.5, -0.25]]))
    return {"keys": sorted(ckpt), "epoch": ckpt["epoch"], "global_step": ckpt["global_step"],
            "state_dict": sorted(ckpt["model_state_dict"]), "output_shape": list(out.shape)}


def check_weights(path):
    state = safe_load(path)
    tiny_mlp().load_state_dict(state, strict=True)
    return {"state_dict": sorted(state)}


def check_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    body = raw[8 + n:]
    state, end = {}, 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}")
        start, stop = info["data_offsets"]
        count = 1
        for d in info["shape"]:
            count *= d
        if stop - start != 4 * count or stop > len(body):
            raise ValueError(f"{name}: offsets {start}..{stop} do not fit shape {info['shape']}")
        state[name] = torch.frombuffer(bytearray(body[start:stop]), dtype=torch.float32).reshape(info["shape"])
        end = max(end, stop)
    if end != len(body):
        raise ValueError(f"body has {len(body)} bytes, tensors use {end}")
    tiny_mlp().load_state_dict(state, strict=True)
    return {"header_bytes": n, "state_dict": sorted(state)}


def make(path, hidden, extra=None):
    torch.manual_seed(0)
    state = tiny_mlp(hidden).state_dict()
    state.update(extra or {})
    torch.save(state, path)
    return {"saved": path}


def seed0_state():
    torch.manual_seed(0)
    return tiny_mlp().state_dict()


def make_training(path):
    model = tiny_mlp()
    model.load_state_dict(seed0_state())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    torch.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                "epoch": 4, "loss": 0.8125}, path)
    return {"saved": path}


def make_safetensors(path):
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in seed0_state().items()}, path)
    return {"saved": path}


def resave(path, out):
    ckpt = safe_load(path)
    torch.save(ckpt, out)
    return {"saved": out, "keys": sorted(ckpt)}


def main():
    mode, path = sys.argv[1], sys.argv[2]
    actions = {
        "bundle": lambda: check_bundle(path),
        "weights-pt": lambda: check_weights(path),
        "safetensors": lambda: check_safetensors(path),
        "make": lambda: make(path, 16),
        "make-bad": lambda: make(path, 8),
        "make-big": lambda: make(path, 16, {"big.weight": torch.ones(25_000_000)}),
        "make-training": lambda: make_training(path),
        "make-safetensors": lambda: make_safetensors(path),
        "resave": lambda: resave(path, sys.argv[3]),
    }
    try:
        print(json.dumps({"torch": torch.__version__, **actions[mode]()}))
    except Exception as e:  # reported as data: the test prints it
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
