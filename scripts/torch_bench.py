#!/usr/bin/env python3
"""PyTorch side of the `cairn bench` workloads that shared/bench/torch_baseline.py lacks.

Prints one JSON object (flat, numbers by key), in the style of torch_baseline.py. Workloads
(WORKLOADS, comma list):
  infer  eval mode + torch.no_grad(): MLP 784-512-512-10 and CNN conv(1->16,5)-relu-pool-
         conv(16->32,5)-relu-pool-fc(512->10) at batch 1 and 256; best of 5 repeats of the mean
         over N passes (200 at batch 1, 20 at batch 256) after 10 warm-up passes.
         keys: mlp_b1_ms mlp_b256_ms cnn_b1_ms cnn_b256_ms
  sweep  Adam train step of MLP 784-w-w-10: batch 16..512 at w=512, w 128..2048 at batch 128;
         best of 5 repeats of the mean over 10 steps after 3 warm-up steps.
         keys: batch<B>_ms width<W>_ms
  rss    peak RSS (ru_maxrss) of a fresh python process that imports torch and trains the MLP
         (batch 128, Adam) for RSS_STEPS steps (default 100). keys: peak_rss_MB, steps
  dd     `dd if=/dev/zero bs=1M count=SIZE_MB conv=fsync` into DIR, best of 2. keys: dd_fsync_MBps
Environment: THREADS (default: torch's), QUICK=1 (tiny repeats, for tests), SIZE_MB (dd, default
512), DIR (dd, default /tmp), RSS_STEPS.
"""
import json, os, re, resource, subprocess, sys, tempfile, time

QUICK = os.environ.get("QUICK", "0") == "1"


def setup_torch():
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("THREADS", torch.get_num_threads())))
    return torch


def mlp(torch, width=512):
    nn = torch.nn
    return nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10))


def cnn(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 10))


def best_mean_ms(f, n, warm, repeats):
    for _ in range(warm):
        f()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t) / n * 1e3)
    return best


def infer(out):
    torch = setup_torch()
    for name, model, shape in [("mlp", mlp(torch), (784,)), ("cnn", cnn(torch), (1, 28, 28))]:
        model.eval()
        for b in (1, 256):
            x = torch.randn(b, *shape)
            n = 2 if QUICK else (200 if b == 1 else 20)
            with torch.no_grad():
                out[f"{name}_b{b}_ms"] = best_mean_ms(lambda: model(x), n, 1 if QUICK else 10, 1 if QUICK else 5)


def step_ms(torch, width, batch):
    model = mlp(torch, width)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    x, y = torch.randn(batch, 784), torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        lossf(model(x), y).backward()
        opt.step()

    # Same rule as TrainBench.time: `warm` steps, then the best of 5 means over `steps` steps.
    return best_mean_ms(step, 1 if QUICK else 10, 1 if QUICK else 10, 5)


def sweep(out):
    torch = setup_torch()
    for b in ([16, 32] if QUICK else [16, 32, 64, 128, 256, 512]):
        out[f"batch{b}_ms"] = step_ms(torch, 512, b)
    for w in ([128, 256] if QUICK else [128, 256, 512, 1024, 2048]):
        out[f"width{w}_ms"] = step_ms(torch, w, 128)


def rss_child():
    torch = setup_torch()
    steps = int(os.environ.get("RSS_STEPS", 100))
    model = mlp(torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        lossf(model(x), y).backward()
        opt.step()
    # Linux: ru_maxrss is in KiB.
    print(json.dumps({"peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, "steps": steps}))


def rss(out):
    env = dict(os.environ, WORKLOADS="rss_child")
    r = subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, capture_output=True, text=True, check=True)
    out.update(json.loads(r.stdout))


def dd(out):
    size_mb = int(os.environ.get("SIZE_MB", 512))
    d = tempfile.mkdtemp(dir=os.environ.get("DIR", "/tmp"))
    path = os.path.join(d, "dd.bin")
    best = 0.0
    try:
        for _ in range(1 if QUICK else 2):
            t = time.perf_counter()
            subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={size_mb}", "conv=fsync"],
                           env=dict(os.environ, LC_ALL="C"), capture_output=True, check=True)
            best = max(best, size_mb * 1024 * 1024 / (time.perf_counter() - t) / 1e6)
            os.remove(path)
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(d)
    out["dd_fsync_MBps"] = best
    out["dd_size_MB"] = size_mb * 1024 * 1024 / 1e6


workloads = os.environ.get("WORKLOADS", "infer,sweep,rss,dd").split(",")
if workloads == ["rss_child"]:
    rss_child()
    sys.exit(0)
out = {"threads": int(os.environ.get("THREADS", 0)) or None}
for name, fn in [("infer", infer), ("sweep", sweep), ("rss", rss), ("dd", dd)]:
    if name in workloads:
        fn(out)
if "infer" in workloads or "sweep" in workloads:
    import torch
    out["torch"] = torch.__version__
print(json.dumps(out, indent=1))
