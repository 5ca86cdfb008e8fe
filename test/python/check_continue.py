"""Checks a "Continue in PyTorch" zip (test/e2e/continue.e2e.ts) with the torch this runs on.

  check_continue.py continue ZIP BROWSER_BUNDLE [ddp] [notebook]
      unzips ZIP into a folder of its own, runs `python train.py --epochs 1`, and compares the steps it
      trained with the same steps in BROWSER_BUNDLE (the tab's checkpoint after it trained the same epoch);
      `ddp` also runs it under torchrun --nproc_per_node=2 (gloo, CPU) and compares with one process;
      `notebook` validates train.ipynb against the nbformat schema and runs its code cells in order;
      `without-data.zip` (a zip of the same checkpoint downloaded without its data, next to ZIP): its
      train.py refuses with the reason, then trains an epoch from --data (the first zip's bundle.pt).
  check_continue.py next CKPT BROWSER_BUNDLE
      runs train.py --epochs 1 from CKPT (a checkpoint train.py wrote, uploaded into the tab) next to
      it and compares with the tab's next epoch in BROWSER_BUNDLE.
Prints one JSON object; a failed check prints {"error"} and exits 1.
"""
import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile

import torch


def load(path):
    if int(torch.__version__.split(".")[0]) >= 2:
        return torch.load(path, map_location="cpu", weights_only=True)
    return torch.load(path, map_location="cpu")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def libuv_missing():
    try:
        torch.distributed.TCPStore("127.0.0.1", 0, 1, True, use_libuv=True)
        return False
    except TypeError:  # torch 1.x: no libuv option, and its torchrun does not ask for it
        return False
    except RuntimeError as e:
        return "libuv" in str(e)


def run(cwd, args, extra_env=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(extra_env or {})}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    # Without /proc in the trixie root, torch's UCX prints a harmless line on stdout (torch-versions.ts drops such lines).
    return "".join(l for l in done.stdout.splitlines(True) if "UCX" not in l)


def compare(ours, theirs, start):
    """Steps from `start` on: the largest relative difference of `ours` against the browser's `theirs`."""
    a = load(ours)["train_history"][start:].double()
    b = load(theirs)["train_history"][start:].double()
    if len(a) != len(b) or len(a) == 0:
        raise RuntimeError(f"{ours} has {len(a)} new steps, {theirs} {len(b)}")
    return float(((a - b).abs() / b.abs().clamp_min(1e-12)).max()), len(a)


def only_checkpoint(folder):
    files = sorted(f for f in os.listdir(folder) if f.endswith(".pt"))
    return os.path.join(folder, files[-1])


def check_notebook(folder):
    import nbformat

    nb = nbformat.read(os.path.join(folder, "train.ipynb"), as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)  # raises ValidationError
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        scope = {"__name__": "__notebook__"}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # stdout is this script's JSON
            for source in code:
                exec(compile(source, "train.ipynb", "exec"), scope)
    finally:
        os.chdir(cwd)
    return {"nbformat": f"{nb.nbformat}.{nb.nbformat_minor}", "code_cells": len(code),
            "notebook_printed": printed.getvalue(), "notebook_steps": len(scope["result"]["losses"])}


def continue_zip(zip_path, browser, *flags):
    folder = os.path.splitext(zip_path)[0] + "-" + torch.__version__.split("+")[0]
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as z:
        names = sorted(z.namelist())
        z.extractall(folder)
    start = len(load(os.path.join(folder, "bundle.pt"))["train_history"])
    printed = run(folder, [sys.executable, "train.py", "--epochs", "1"])
    ckpt = only_checkpoint(os.path.join(folder, "checkpoints"))
    rel, steps = compare(ckpt, browser, start)
    out = {"files": names, "printed": printed, "checkpoint": os.path.relpath(ckpt), "start": start, "steps": steps, "max_rel": rel}
    if "ddp" in flags:
        # torch 1.13 on Python 3.11 cannot parse torchrun's default "--redirects 0" (IntFlag iteration
        # changed in 3.11); any other value works there.
        streams = ["--redirects", "1", "--tee", "1"] if torch.__version__.startswith("1.") else []
        if libuv_missing():
            # Debian's torch 2.x is built without libuv, and torchrun's default (static) rendezvous asks
            # for a libuv TCPStore. Its c10d rendezvous on a FileStore does not, and USE_LIBUV=0 makes
            # the workers' env:// store a plain one (what the zip's README tells such users to do).
            rdzv = os.path.join(os.path.abspath(folder), "rdzv-store")
            launch = ["--rdzv-backend=c10d", f"--rdzv-endpoint={rdzv}", "--rdzv-conf=store_type=file", "--local-addr=127.0.0.1"]
            env = {"USE_LIBUV": "0", "TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1"}
        else:
            launch = ["--master_addr=127.0.0.1", f"--master_port={free_port()}"]
            env = {}
        run(folder, [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", *launch,
                     "--nproc_per_node=2", *streams, "train.py", "--epochs", "1", "--out", "ddp"], env)
        out["ddp_max_rel"], _ = compare(only_checkpoint(os.path.join(folder, "ddp")), ckpt, start)
    if "notebook" in flags:
        out.update(check_notebook(folder))
    if "without-data.zip" in flags:
        out["without_data"] = without_data("without-data.zip", os.path.join(folder, "bundle.pt"))
    return out


def without_data(zip_path, with_data):
    """A zip downloaded without its data: train.py refuses with the reason, then trains from --data."""
    folder = os.path.splitext(zip_path)[0] + "-" + torch.__version__.split("+")[0]
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(folder)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    refused = subprocess.run([sys.executable, "train.py"], cwd=folder, env=env, capture_output=True, text=True)
    printed = run(folder, [sys.executable, "train.py", "--data", os.path.abspath(with_data), "--out", "from-data"])
    return {"refused_code": refused.returncode, "refused": refused.stderr.strip().splitlines()[-1], "then": printed}


def next_epoch(ckpt, browser):
    folder = os.path.dirname(os.path.dirname(os.path.abspath(ckpt)))
    start = len(load(ckpt)["train_history"])
    run(folder, [sys.executable, "train.py", "--bundle", os.path.abspath(ckpt), "--epochs", "1", "--out", "next"])
    rel, steps = compare(only_checkpoint(os.path.join(folder, "next")), browser, start)
    return {"start": start, "steps": steps, "max_rel": rel}


def main():
    try:
        mode, *args = sys.argv[1:]
        result = continue_zip(*args) if mode == "continue" else next_epoch(*args)
        print(json.dumps({"torch": torch.__version__, **result}))
    except Exception as e:  # reported as data: the test prints it
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
