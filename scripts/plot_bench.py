#!/usr/bin/env python3
"""Draws the scaling plots of `cairn bench report` from its JSON (docs/benchmarks.json).

Usage: python3 scripts/plot_bench.py docs/benchmarks.json docs/bench
Writes batch.png, width.png, save.png and resume.png (those whose data is present) and prints
their paths. Needs matplotlib (`make bench` installs it from PyPI when missing).
"""
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def points(section, pattern):
    """Sorted (x, value) pairs of the keys matching `pattern` (one integer group)."""
    out = []
    for key, value in section.items():
        m = re.fullmatch(pattern, key)
        if m:
            out.append((int(m.group(1)), value))
    return sorted(out)


def line_plot(path, title, xlabel, ylabel, series, logx=False, logy=False):
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for label, pts, style in series:
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:  # log-log: linear growth is a slope-1 line
        ax.set_yscale("log", base=2)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(path)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        report = json.load(f)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    scaling = report.get("scaling", {})
    resume = report.get("resume", {})
    if points(scaling, r"batch(\d+)_ms"):
        line_plot(os.path.join(out, "batch.png"), "MLP 784-512-512-10 train step vs batch size", "batch size",
                  "ms per Adam step", [("Cairn", points(scaling, r"batch(\d+)_ms"), "o-"),
                                       ("PyTorch", points(scaling, r"torch_batch(\d+)_ms"), "s--")], logx=True, logy=True)
    if points(scaling, r"width(\d+)_ms"):
        line_plot(os.path.join(out, "width.png"), "MLP 784-w-w-10 train step vs width (batch 128)", "hidden width",
                  "ms per Adam step", [("Cairn", points(scaling, r"width(\d+)_ms"), "o-"),
                                       ("PyTorch", points(scaling, r"torch_width(\d+)_ms"), "s--")], logx=True, logy=True)
    if points(scaling, r"save(\d+)MB_s"):
        line_plot(os.path.join(out, "save.png"), "Save time vs state size (with fsync)", "state size (MiB)", "seconds",
                  [("Safetensors.write", points(scaling, r"save(\d+)MB_s"), "o-"),
                   ("CheckpointStore.save (SHA-256 manifest)", points(scaling, r"checkpoint_save(\d+)MB_s"), "s--")],
                  logx=True, logy=True)
    if points(resume, r"pos(\d+)_resume_s"):
        line_plot(os.path.join(out, "resume.png"), "Resume time vs position in the epoch", "position in epoch (%)",
                  "seconds", [("page cache warm", points(resume, r"pos(\d+)_resume_s"), "o-"),
                              ("page cache dropped", points(resume, r"pos(\d+)_resume_cold_s"), "s--")])


if __name__ == "__main__":
    main()
