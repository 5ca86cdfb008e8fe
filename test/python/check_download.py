"""Oracle for files.e2e.ts: checks downloaded files with the real torch, and makes state_dicts to upload.

Usage: /usr/bin/python3 test/python/check_download.py MODE PATH
  bundle PATH       our checkpoint bundle: keys, epoch, step, config; model and Adam load strictly
  weights-pt PATH   a plain state_dict: loads strictly into the Spiral Tiny MLP
  safetensors PATH  header is 8-byte little-endian length + JSON; tensors load strictly
  make PATH         saves the Spiral Tiny MLP's state_dict (seed 0) with torch.save
  make-bad PATH     saves a state_dict whose middle layer has 8 units (size mismatch)
  make-big PATH     saves the Tiny MLP's state_dict plus a 100 MB tensor "big.weight" (unexpected key)
Prints one JSON object; exits 1 with {"error": ...} when a check fails.
Before a .pt is loaded with plain torch.load (1.13 has no safe mode for floats), every GLOBAL in
data.pkl is checked against torch's weights_only allow-list without executing anything.
"""
import json, pickletools, struct, sys, zipfile

import torch
from torch import nn
from torch import _weights_only_unpickler as wou

ALLOWED = set(wou._get_allowed_globals().keys())


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
    return torch.load(path)


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


def main():
    mode, path = sys.argv[1], sys.argv[2]
    actions = {
        "bundle": lambda: check_bundle(path),
        "weights-pt": lambda: check_weights(path),
        "safetensors": lambda: check_safetensors(path),
        "make": lambda: make(path, 16),
        "make-bad": lambda: make(path, 8),
        "make-big": lambda: make(path, 16, {"big.weight": torch.ones(25_000_000)}),
    }
    try:
        print(json.dumps(actions[mode]()))
    except Exception as e:  # reported as data: the test prints it
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
