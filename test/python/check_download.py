"""Oracle for files.e2e.ts: checks downloaded files with the real torch, and makes files to upload.

Usage: python3 check_download.py MODE PATH [OUT]   (torch 1.13 on the host, or 2.x in the trixie root)
       python3 check_download.py --batch MODE:PATH[:OUT]...   several actions in one Python start
  bundle PATH       our checkpoint bundle: keys, epoch, step, config; model and Adam load strictly
  weights-pt PATH   a plain state_dict: loads strictly into the Spiral Tiny MLP
  safetensors PATH  header is 8-byte little-endian length + JSON; tensors load strictly
  make PATH         saves the Spiral Tiny MLP's state_dict (seed 0) with torch.save
  make-bad PATH     saves a state_dict whose middle layer has 8 units (size mismatch)
  make-big PATH     saves the Tiny MLP's state_dict plus a 100 MB tensor "big.weight" (unexpected key)
  make-uploads PREFIX  writes three files as users save them, each loaded back (weights_only=True on
                    torch 2.x) to report what torch holds and computes, see make_uploads:
                    PREFIX_state_dict.pt (torch.save(model.state_dict())), PREFIX_training.pt (a
                    training dict after 5 Adam steps) and PREFIX.safetensors (safetensors.torch.save_file)
  resave PATH OUT   loads our bundle as users do and saves it again with torch.save, unchanged
  data-files PATH   our format-2 bundle: its `about` and the data files it carries, each file's
                    name, size and SHA-256 (which must be its id)
Prints one JSON object with "torch": its version (with --batch, "results": one object per action);
exits 1 with {"error": ...} when a check fails.
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


def check_data_files(path):
    import hashlib
    ckpt = safe_load(path)
    files = {}
    for file_id, f in ckpt["data_files"].items():
        raw = bytes(f["bytes"].tolist())
        digest = hashlib.sha256(raw).hexdigest()
        if digest != file_id:
            raise ValueError(f"data file {f['name']} has SHA-256 {digest}, not its id {file_id}")
        files[file_id] = {"name": f["name"], "size": len(raw), "dtype": str(f["bytes"].dtype)}
    return {"format_version": ckpt["format_version"], "about": ckpt["about"], "input_shape": ckpt["input_shape"],
            "num_outputs": ckpt["num_outputs"], "data_files": files, "csv": ckpt["config"]["data"]["csv"]}


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


# Points at which make-uploads reports the model's class probabilities (the page's predict() gives the same).
PROBE_POINTS = [[0.5, -0.25], [-1.0, 0.75], [0.125, 0.0625], [2.0, -1.5]]


def described(path, state):
    """What torch holds for `state` (loaded back from `path`): every tensor's values and the softmax
    of the Tiny MLP with those weights at PROBE_POINTS."""
    model = tiny_mlp()
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        probs = torch.softmax(model(torch.tensor(PROBE_POINTS)), dim=1)
    return {"file": path, "tensors": {k: v.flatten().tolist() for k, v in state.items()},
            "points": PROBE_POINTS, "probs": probs.tolist()}


def make_uploads(prefix):
    """The three kinds of file users bring, written by this torch and read back as users read them."""
    from safetensors.torch import load_file, save_file
    model = tiny_mlp()
    model.load_state_dict(seed0_state())
    files = {"state_dict": f"{prefix}_state_dict.pt", "training": f"{prefix}_training.pt", "safetensors": f"{prefix}.safetensors"}
    torch.save(model.state_dict(), files["state_dict"])
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, files["safetensors"])
    # A training dict as users write one after some steps: the weights now differ from seed 0's.
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(7)
    x, y = torch.randn(32, 2, generator=g), torch.randint(0, 3, (32,), generator=g)
    for _ in range(5):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    torch.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                "epoch": 5, "loss": loss.item()}, files["training"])
    training = safe_load(files["training"])
    if len(training["optimizer_state_dict"]["state"]) != 6:
        raise ValueError("the training dict's Adam state should hold 6 parameters")
    return {
        "state_dict": described(files["state_dict"], safe_load(files["state_dict"])),
        "training": described(files["training"], training["model_state_dict"]),
        "safetensors": described(files["safetensors"], load_file(files["safetensors"])),
    }


def resave(path, out):
    ckpt = safe_load(path)
    torch.save(ckpt, out)
    return {"saved": out, "keys": sorted(ckpt)}


def action(mode, path, out=None):
    actions = {
        "bundle": lambda: check_bundle(path),
        "weights-pt": lambda: check_weights(path),
        "safetensors": lambda: check_safetensors(path),
        "make": lambda: make(path, 16),
        "make-bad": lambda: make(path, 8),
        "make-big": lambda: make(path, 16, {"big.weight": torch.ones(25_000_000)}),
        "make-uploads": lambda: make_uploads(path),
        "resave": lambda: resave(path, out),
        "data-files": lambda: check_data_files(path),
    }
    return actions[mode]()


def main():
    try:
        if sys.argv[1] == "--batch":
            results = [action(*arg.split(":")) for arg in sys.argv[2:]]
            print(json.dumps({"torch": torch.__version__, "results": results}))
        else:
            print(json.dumps({"torch": torch.__version__, **action(*sys.argv[1:4])}))
    except Exception as e:  # reported as data: the test prints it
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
