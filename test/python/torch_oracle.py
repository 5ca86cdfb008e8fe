"""PyTorch oracle for exported Tab Trainer bundles (src/engine/export.test.ts).

Usage: python3 torch_oracle.py BUNDLE.pt INPUTS.json [STATE_DICT.pt] [STATE_DICT.safetensors]
(torch 1.13 on the host, or torch 2.x in the trixie root: there every .pt loads with weights_only=True)

INPUTS.json: {"x": flat list, "x_shape": [N, C, H, W] or [N, F], "y": [int labels] or null}.
Prints one JSON object:
  torch          torch.__version__
  globals        every GLOBAL in data.pkl (scanned with pickletools.genops, nothing executed);
                 the script stops with an error if one is not on torch's weights_only allow-list
  logits         eval-mode outputs of the nn.Sequential rebuilt from the bundle's config, after
                 load_state_dict(strict=True)
  after_step     when y is given: the state_dict and optimizer slots after one optimizer step
                 (optimizer_state_dict loaded) on mean cross-entropy of the batch, model.train()
  state_dict_pt / state_dict_safetensors: max abs difference to model_state_dict (must be 0)
The model is rebuilt here from config.model.layers independently of our TypeScript layout code.
"""
import json, pickletools, struct, sys, zipfile

import torch
import torch.nn.functional as F
from torch import nn
from torch import _weights_only_unpickler as wou

ALLOWED = set(wou._get_allowed_globals().keys())
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": None}
TORCH2 = int(torch.__version__.split(".")[0]) >= 2
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}


def scan_globals(path):
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    found = sorted({arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"})
    bad = [g for g in found if g not in ALLOWED]
    if bad:
        sys.exit(f"globals not on torch's weights_only allow-list: {bad}")
    return found


def load(path):
    """torch 2.x: torch.load(f, weights_only=True), as users load files. torch 1.13: its weights_only
    reader lacks Python floats, so the full unpickler, after scan_globals allowed every global."""
    scan_globals(path)
    return torch.load(path, weights_only=True) if TORCH2 else torch.load(path)


def build_model(layers, input_shape, outputs):
    """nn.Sequential for our spec + head; input_shape is PyTorch's per-sample shape ([C, H, W] or [F])."""
    shape = list(input_shape)
    mods = []
    for layer in layers + [{"type": "dense", "units": outputs, "activation": "linear"}]:
        t = layer["type"]
        if t == "dense":
            mods.append(nn.Linear(shape[0], layer["units"]))
            shape = [layer["units"]]
        elif t == "conv2d":
            k = layer["kernelSize"]
            mods.append(nn.Conv2d(shape[0], layer["filters"], k))
            shape = [layer["filters"], shape[1] - k + 1, shape[2] - k + 1]
        elif t == "maxpool2d":
            p = layer["poolSize"]
            mods.append(nn.MaxPool2d(p))
            shape = [shape[0], shape[1] // p, shape[2] // p]
        elif t == "flatten":
            mods.append(nn.Flatten())
            shape = [int(torch.tensor(shape).prod())]
        elif t == "dropout":
            mods.append(nn.Dropout(layer["rate"]))
        elif t == "batchnorm":
            mods.append(nn.BatchNorm1d(shape[0]) if len(shape) == 1 else nn.BatchNorm2d(shape[0]))
        else:
            raise ValueError(f"unknown layer {t}")
        act = ACTIVATIONS.get(layer.get("activation")) if t in ("dense", "conv2d") else None
        if act:
            mods.append(act())
    return nn.Sequential(*mods)


def values(t):
    return t.detach().double().flatten().tolist()


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + end]), dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return out


def max_diff(a, b):
    """Same keys (safetensors sorts them) and dtypes, and the largest difference of values."""
    assert sorted(a.keys()) == sorted(b.keys()), (list(a.keys()), list(b.keys()))
    assert all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape for k in a), "dtype or shape differs"
    return max((a[k].double() - b[k].double()).abs().max().item() if a[k].numel() else 0.0 for k in a)


def main(bundle, inputs_path, *extra):
    report = {"torch": torch.__version__, "globals": scan_globals(bundle)}
    ckpt = load(bundle)
    cfg = ckpt["config"]
    torch.manual_seed(0)
    model = build_model(cfg["model"]["layers"], ckpt["input_shape"], ckpt["num_outputs"])
    model.load_state_dict(ckpt["model_state_dict"], strict=True)
    with open(inputs_path) as f:
        inputs = json.load(f)
    x = torch.tensor(inputs["x"], dtype=torch.float32).reshape(inputs["x_shape"])
    model.eval()
    with torch.no_grad():
        report["logits"] = values(model(x))
    if inputs.get("y") is not None:
        train = cfg["train"]
        opt = OPTIMIZERS[train["optimizer"]](model.parameters(), lr=train["learningRate"])
        opt.load_state_dict(ckpt["optimizer_state_dict"])
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(x), torch.tensor(inputs["y"], dtype=torch.int64)).backward()
        opt.step()
        slots = {f"{i}.{k}": values(v) for i, s in opt.state_dict()["state"].items() for k, v in s.items() if torch.is_tensor(v) and v.dim() > 0}
        report["after_step"] = {"params": {k: values(v) for k, v in model.state_dict().items()}, "slots": slots,
                                "steps": [float(s["step"]) for s in opt.state_dict()["state"].values() if "step" in s]}
    sd = ckpt["model_state_dict"]
    for path in extra:
        if path.endswith(".safetensors"):
            report["state_dict_safetensors"] = max_diff(sd, read_safetensors(path))
        else:
            scan_globals(path)
            report["state_dict_pt"] = max_diff(sd, torch.load(path, weights_only=True))  # no floats: 1.13 too
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
