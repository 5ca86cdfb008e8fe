"""Oracle for our .pt writer: loads files we wrote with the real torch and prints what it found.

Usage: python3 check_pt.py FILE.pt...   (torch 1.13 on the host, or torch 2.x in the trixie root)
Prints one JSON object: {"torch": version, "files": {file: {"tensors": {dotted name: {dtype, shape, sum}},
"value": tagged tree, "globals": [...], "weights_only": "ok" | "skipped (floats)" | error}}}.
Before anything is unpickled, every GLOBAL in data.pkl is checked against torch's weights_only
allow-list by walking the opcodes with pickletools.genops (nothing is executed); a file that fails
that check is reported and never loaded. On torch 2.x the file is then loaded with
torch.load(f, weights_only=True) only, as users' torch does by default; on 1.13, whose weights_only
reader lacks Python floats, with the full unpickler, and weights_only=True is tried where it can work.
"""
import json, pickletools, sys, zipfile
from collections import OrderedDict

import torch
from torch import _weights_only_unpickler as wou

ALLOWED = set(wou._get_allowed_globals().keys())
TORCH2 = int(torch.__version__.split(".")[0]) >= 2


def scan_pickle(path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
        data = z.read(name)
    globals_, ops = [], set()
    for op, arg, _ in pickletools.genops(data):
        ops.add(op.name)
        if op.name == "GLOBAL":
            globals_.append(arg.replace(" ", "."))
    return globals_, ops


def tag(v, name, tensors):
    if isinstance(v, torch.Tensor):
        t = v.detach()
        total = int(t.sum().item()) if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8) \
            else (int(t.sum().item()) if t.dtype == torch.bool else float(t.double().sum().item()))
        tensors[name] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "sum": total,
                         "values": t.double().flatten().tolist() if t.dtype != torch.int64 else [str(x) for x in t.flatten().tolist()]}
        return ["tensor", name]
    join = lambda k: f"{name}.{k}" if name else str(k)
    if v is None: return ["none"]
    if isinstance(v, bool): return ["bool", v]
    if isinstance(v, int): return ["int", str(v)]
    if isinstance(v, float): return ["float", repr(v)]
    if isinstance(v, str): return ["str", v]
    if isinstance(v, tuple): return ["tuple", [tag(x, join(i), tensors) for i, x in enumerate(v)]]
    if isinstance(v, list): return ["list", [tag(x, join(i), tensors) for i, x in enumerate(v)]]
    if isinstance(v, dict):
        kind = "OrderedDict" if isinstance(v, OrderedDict) else "dict"
        return [kind, [[tag(k, "", {}), tag(x, join(k), tensors)] for k, x in v.items()]]
    raise TypeError(f"unexpected {type(v).__name__} at {name!r}")


def check(path):
    globals_, ops = scan_pickle(path)
    bad = sorted(set(g for g in globals_ if g not in ALLOWED))
    if bad:
        return {"error": f"globals not on the weights_only allow-list: {bad}"}
    if TORCH2:
        try:
            obj = torch.load(path, weights_only=True)
        except Exception as e:  # reported, the test fails on it
            return {"error": f"weights_only=True failed: {type(e).__name__}: {e}"}
        tensors = {}
        return {"tensors": tensors, "value": tag(obj, "", tensors), "globals": sorted(set(globals_)), "weights_only": "ok"}
    obj = torch.load(path)
    tensors = {}
    value = tag(obj, "", tensors)
    if "BINFLOAT" in ops:
        weights_only = "skipped (floats)"  # torch 1.13's weights_only loader lacks BINFLOAT (pt-format.md §5)
    else:
        try:
            torch.load(path, weights_only=True)
            weights_only = "ok"
        except Exception as e:  # reported, the test fails on it
            weights_only = f"{type(e).__name__}: {e}"
    return {"tensors": tensors, "value": value, "globals": sorted(set(globals_)), "weights_only": weights_only}


if __name__ == "__main__":
    print(json.dumps({"torch": torch.__version__, "files": {p: check(p) for p in sys.argv[1:]}}))
