#!/usr/bin/env python3
"""Generates the PyTorch reference fixtures under Tests/Fixtures/ (see Tests/Fixtures/README.md).

Usage:
    python3 scripts/make_fixtures.py            # (re)write Tests/Fixtures/
    python3 scripts/make_fixtures.py --out DIR  # write somewhere else
    python3 scripts/make_fixtures.py --check    # regenerate into a temp dir, compare bytes with
                                                # the committed files; exit 1 naming each mismatch

Needs torch 2.13 (CPU) and safetensors 0.8.0. Every case draws its random values from its own
`torch.Generator().manual_seed(seed_of(name))`, so adding or removing a case never changes the
others, and two runs give byte-identical files.
"""

import argparse
import filecmp
import json
import math
import os
import sys
import tempfile
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_hash  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "Tests", "Fixtures")
HAND_WRITTEN = {"README.md"}


# ----------------------------------------------------------------------------- helpers

def seed_of(name: str) -> int:
    """A stable per-case seed (CRC-32 of the case name), independent of case order."""
    return zlib.crc32(name.encode("utf-8"))


def gen(name: str) -> torch.Generator:
    return torch.Generator().manual_seed(seed_of(name))


def randn(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=torch.float32) * scale


def compact_json(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, allow_nan=False)


class Writer:
    """Writes fixture files below one root and remembers their relative paths."""

    def __init__(self, root: str):
        self.root = root
        self.written = []

    def _path(self, rel: str) -> str:
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.written.append(rel)
        return path

    def safetensors(self, rel: str, tensors: dict, config: dict):
        out = {}
        for k, v in tensors.items():
            assert isinstance(v, torch.Tensor), k
            out[k] = v.detach().contiguous().clone()
        # Exactly one metadata entry keeps the header byte-identical run to run (upstream writes
        # metadata in hash-map order).
        save_file(out, self._path(rel), metadata={"config": compact_json(config)})

    def json(self, rel: str, obj):
        with open(self._path(rel), "w", encoding="utf-8") as f:
            f.write(json.dumps(obj, indent=1, sort_keys=True, allow_nan=False))
            f.write("\n")


def module_case(w: Writer, rel: str, module: nn.Module, x: torch.Tensor, config: dict,
                training: bool, g: torch.Generator, init_params=True, init_buffers=None):
    """Runs forward + backward of `module` on `x` with a random upstream gradient and saves it all."""
    module.train(training)
    if init_params:
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(randn(g, *p.shape, scale=0.5))
    if init_buffers is not None:
        with torch.no_grad():
            init_buffers(module)
    tensors = {}
    float_input = x.is_floating_point()
    x = x.detach().clone()
    if float_input:
        x.requires_grad_(True)
    tensors["input"] = x
    for name, p in module.named_parameters():
        tensors[f"param.{name}"] = p.detach().clone()
    for name, b in module.named_buffers():
        tensors[f"buffer.{name}"] = b.detach().clone()
    output = module(x)
    grad_output = randn(g, *output.shape)
    (output * grad_output).sum().backward()
    tensors["output"] = output
    tensors["grad_output"] = grad_output
    if float_input:
        tensors["grad.input"] = x.grad
    for name, p in module.named_parameters():
        tensors[f"grad.param.{name}"] = p.grad
    for name, b in module.named_buffers():
        tensors[f"buffer_after.{name}"] = b.detach().clone()
    cfg = dict(config)
    cfg["_module"] = type(module).__name__
    cfg["_training"] = training
    w.safetensors(rel, tensors, cfg)


# ----------------------------------------------------------------------------- layers

def make_layers(w: Writer):
    def case(name, module, shape, config, training=False, make_input=None, **kw):
        g = gen("layers/" + name)
        x = make_input(g) if make_input else randn(g, *shape)
        module_case(w, f"layers/{name}.safetensors", module, x, config, training, g, **kw)

    # Linear
    for name, cfg, shape in [
        ("linear", dict(in_features=5, out_features=3, bias=True), (4, 5)),
        ("linear_nobias", dict(in_features=5, out_features=3, bias=False), (4, 5)),
        ("linear_3d", dict(in_features=5, out_features=3, bias=True), (2, 3, 5)),
    ]:
        case(name, nn.Linear(**cfg), shape, cfg)

    # Conv2d
    for name, cfg, shape in [
        ("conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=1, padding=0,
                        dilation=1, groups=1, bias=True), (2, 3, 7, 7)),
        ("conv2d_stride2_pad1", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2,
                                     padding=1, dilation=1, groups=1, bias=True), (2, 3, 8, 8)),
        ("conv2d_dilation2", dict(in_channels=3, out_channels=4, kernel_size=3, stride=1,
                                  padding=0, dilation=2, groups=1, bias=True), (2, 3, 9, 9)),
        ("conv2d_groups2", dict(in_channels=4, out_channels=6, kernel_size=3, stride=1,
                                padding=0, dilation=1, groups=2, bias=True), (2, 4, 6, 6)),
        ("conv2d_nobias", dict(in_channels=3, out_channels=4, kernel_size=3, stride=1, padding=0,
                               dilation=1, groups=1, bias=False), (2, 3, 7, 7)),
        ("conv2d_k5_pad2", dict(in_channels=1, out_channels=4, kernel_size=5, stride=1,
                                padding=2, dilation=1, groups=1, bias=True), (2, 1, 12, 12)),
        ("conv2d_rect", dict(in_channels=2, out_channels=3, kernel_size=[2, 3], stride=[1, 2],
                             padding=[0, 1], dilation=1, groups=1, bias=True), (2, 2, 6, 7)),
    ]:
        case(name, nn.Conv2d(**cfg), shape, cfg)

    # Pooling
    for name, mod, cfg, shape in [
        ("maxpool2d_k2", nn.MaxPool2d, dict(kernel_size=2, stride=2, padding=0), (2, 3, 6, 6)),
        ("maxpool2d_k3_s2_p1", nn.MaxPool2d, dict(kernel_size=3, stride=2, padding=1),
         (2, 3, 7, 7)),
        ("avgpool2d_k2", nn.AvgPool2d, dict(kernel_size=2, stride=2, padding=0,
                                            count_include_pad=True), (2, 3, 6, 6)),
        ("avgpool2d_k3_s2_p1", nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1,
                                                  count_include_pad=True), (2, 3, 7, 7)),
        ("avgpool2d_k3_s2_p1_exclude_pad", nn.AvgPool2d,
         dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 7)),
        ("adaptiveavgpool2d_1x1", nn.AdaptiveAvgPool2d, dict(output_size=[1, 1]), (2, 3, 7, 7)),
        ("adaptiveavgpool2d_3x3", nn.AdaptiveAvgPool2d, dict(output_size=[3, 3]), (2, 3, 7, 7)),
    ]:
        case(name, mod(**cfg), shape, cfg)

    # BatchNorm
    def random_stats(nbt):
        def init(m):
            m.running_mean.copy_(randn(gstats, *m.running_mean.shape, scale=0.5))
            m.running_var.copy_(torch.rand(*m.running_var.shape, generator=gstats) + 0.5)
            m.num_batches_tracked.fill_(nbt)
        return init

    bn_cases = [
        ("batchnorm1d_train", nn.BatchNorm1d, dict(num_features=4, eps=1e-5, momentum=0.1,
                                                   affine=True, track_running_stats=True),
         (6, 4), True, 5),
        ("batchnorm1d_train_3d", nn.BatchNorm1d, dict(num_features=3, eps=1e-5, momentum=0.1,
                                                      affine=True, track_running_stats=True),
         (4, 3, 5), True, 5),
        ("batchnorm1d_eval", nn.BatchNorm1d, dict(num_features=4, eps=1e-5, momentum=0.1,
                                                  affine=True, track_running_stats=True),
         (6, 4), False, 5),
        ("batchnorm2d_train", nn.BatchNorm2d, dict(num_features=3, eps=1e-5, momentum=0.1,
                                                   affine=True, track_running_stats=True),
         (4, 3, 5, 5), True, 5),
        ("batchnorm2d_eval", nn.BatchNorm2d, dict(num_features=3, eps=1e-5, momentum=0.1,
                                                  affine=True, track_running_stats=True),
         (4, 3, 5, 5), False, 5),
        ("batchnorm2d_momentum_none", nn.BatchNorm2d,
         dict(num_features=3, eps=1e-5, momentum=None, affine=True, track_running_stats=True),
         (4, 3, 5, 5), True, 3),
        ("batchnorm2d_fresh_train", nn.BatchNorm2d,
         dict(num_features=3, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True),
         (4, 3, 5, 5), True, None),
        ("batchnorm2d_no_track_train", nn.BatchNorm2d,
         dict(num_features=3, eps=1e-5, momentum=0.1, affine=True, track_running_stats=False),
         (4, 3, 5, 5), True, None),
        ("batchnorm2d_no_track_eval", nn.BatchNorm2d,
         dict(num_features=3, eps=1e-5, momentum=0.1, affine=True, track_running_stats=False),
         (4, 3, 5, 5), False, None),
    ]
    for name, mod, cfg, shape, training, nbt in bn_cases:
        gstats = gen("layers/" + name + "/stats")
        init = random_stats(nbt) if nbt is not None else None
        case(name, mod(**cfg), shape, cfg, training=training, init_buffers=init)

    # LayerNorm
    for name, cfg, shape in [
        ("layernorm_last1", dict(normalized_shape=[6], eps=1e-5, elementwise_affine=True),
         (4, 5, 6)),
        ("layernorm_last2", dict(normalized_shape=[5, 6], eps=1e-5, elementwise_affine=True),
         (4, 5, 6)),
        ("layernorm_last1_noaffine", dict(normalized_shape=[6], eps=1e-5,
                                          elementwise_affine=False), (4, 5, 6)),
        ("layernorm_last2_noaffine", dict(normalized_shape=[5, 6], eps=1e-5,
                                          elementwise_affine=False), (4, 5, 6)),
    ]:
        case(name, nn.LayerNorm(**cfg), shape, cfg, training=True,
             make_input=lambda g, s=shape: randn(g, *s, scale=2.0) + 0.5)

    # Embedding (index input: no grad.input). Repeated indices exercise gradient accumulation.
    def emb_input(g):
        idx = torch.randint(0, 10, (3, 5), generator=g, dtype=torch.int64)
        idx[0, 0] = 0
        idx[1, 2] = 0
        idx[2, 4] = idx[0, 1]
        return idx

    for name, cfg in [
        ("embedding", dict(num_embeddings=10, embedding_dim=4, padding_idx=None)),
        ("embedding_padding_idx", dict(num_embeddings=10, embedding_dim=4, padding_idx=0)),
    ]:
        m = nn.Embedding(**cfg)

        def zero_pad(mod, pad=cfg["padding_idx"]):
            # Mirror the constructor: the padding row starts at zero.
            if pad is not None:
                mod.weight[pad].zero_()
        g = gen("layers/" + name)
        x = emb_input(g)
        with torch.no_grad():
            m.weight.copy_(randn(g, *m.weight.shape))
            zero_pad(m)
        module_case(w, f"layers/{name}.safetensors", m, x, cfg, True, g, init_params=False)

    # Dropout in eval mode (identity); flatten.
    case("dropout_eval", nn.Dropout(p=0.5), (4, 6), dict(p=0.5), training=False)
    case("flatten", nn.Flatten(start_dim=1, end_dim=-1), (2, 3, 4, 5),
         dict(start_dim=1, end_dim=-1))
    case("flatten_1_2", nn.Flatten(start_dim=1, end_dim=2), (2, 3, 4, 5),
         dict(start_dim=1, end_dim=2))

    # Activations; exact zeros test the derivative convention at the kink.
    def act_input(g, shape=(4, 7)):
        x = randn(g, *shape, scale=3.0)
        flat = x.view(-1)
        flat[0] = 0.0
        flat[5] = 0.0
        flat[-1] = -0.0
        return x

    for name, mod, cfg, shape in [
        ("relu", nn.ReLU(), dict(), (4, 7)),
        ("leaky_relu", nn.LeakyReLU(negative_slope=0.2), dict(negative_slope=0.2), (4, 7)),
        ("gelu", nn.GELU(approximate="none"), dict(approximate="none"), (4, 7)),
        ("gelu_tanh", nn.GELU(approximate="tanh"), dict(approximate="tanh"), (4, 7)),
        ("silu", nn.SiLU(), dict(), (4, 7)),
        ("sigmoid", nn.Sigmoid(), dict(), (4, 7)),
        ("tanh", nn.Tanh(), dict(), (4, 7)),
        ("softmax", nn.Softmax(dim=1), dict(dim=1), (4, 7)),
        ("log_softmax", nn.LogSoftmax(dim=1), dict(dim=1), (4, 7)),
        ("softmax_3d", nn.Softmax(dim=1), dict(dim=1), (3, 5, 4)),
        ("log_softmax_3d", nn.LogSoftmax(dim=1), dict(dim=1), (3, 5, 4)),
    ]:
        case(name, mod, shape, cfg, training=True,
             make_input=lambda g, s=shape: act_input(g, s))


# ----------------------------------------------------------------------------- losses

def loss_case(w: Writer, name: str, fn_name: str, inputs: dict, kwargs: dict,
              g: torch.Generator, extra_tensors: dict = None):
    """Evaluates F.<fn_name>(input, target, **kwargs) and its input gradient, then saves."""
    x = inputs["input"].detach().clone().requires_grad_(True)
    target = inputs["target"]
    call_kwargs = dict(kwargs)
    extra_tensors = extra_tensors or {}
    for k, v in extra_tensors.items():
        call_kwargs[k] = v
    loss = getattr(F, fn_name)(x, target, **call_kwargs)
    tensors = {"input": x.detach().clone(), "target": target}
    tensors.update(extra_tensors)
    if loss.dim() == 0:
        loss.backward()
    else:
        grad_output = randn(g, *loss.shape)
        (loss * grad_output).sum().backward()
        tensors["grad_output"] = grad_output
    tensors["output"] = loss
    tensors["grad.input"] = x.grad
    cfg = dict(kwargs)
    cfg["_function"] = fn_name
    cfg["_tensor_kwargs"] = sorted(extra_tensors.keys())
    w.safetensors(f"losses/{name}.safetensors", tensors, cfg)


def make_losses(w: Writer):
    n, c = 6, 5

    def logits_targets(g, ignored=()):
        x = randn(g, n, c, scale=2.0)
        t = torch.randint(0, c, (n,), generator=g, dtype=torch.int64)
        for i in ignored:
            t[i] = -100
        return x, t

    ce_cases = [
        ("cross_entropy_none", dict(reduction="none"), False, ()),
        ("cross_entropy_mean", dict(reduction="mean"), False, ()),
        ("cross_entropy_sum", dict(reduction="sum"), False, ()),
        ("cross_entropy_weight", dict(reduction="mean"), True, ()),
        ("cross_entropy_weight_none", dict(reduction="none"), True, ()),
        ("cross_entropy_weight_sum", dict(reduction="sum"), True, ()),
        ("cross_entropy_ignore_index", dict(reduction="mean", ignore_index=-100), False, (1, 4)),
        ("cross_entropy_ignore_index_none", dict(reduction="none", ignore_index=-100), False,
         (1, 4)),
        ("cross_entropy_label_smoothing", dict(reduction="mean", label_smoothing=0.1), False, ()),
        ("cross_entropy_label_smoothing_none", dict(reduction="none", label_smoothing=0.1),
         False, ()),
        ("cross_entropy_combined", dict(reduction="mean", ignore_index=-100, label_smoothing=0.1),
         True, (1, 4)),
        ("cross_entropy_combined_sum", dict(reduction="sum", ignore_index=-100,
                                            label_smoothing=0.1), True, (1, 4)),
        ("cross_entropy_combined_none", dict(reduction="none", ignore_index=-100,
                                             label_smoothing=0.1), True, (1, 4)),
    ]
    for name, kwargs, weighted, ignored in ce_cases:
        g = gen("losses/" + name)
        x, t = logits_targets(g, ignored)
        extra = {"weight": torch.rand(c, generator=g) + 0.5} if weighted else {}
        loss_case(w, name, "cross_entropy", {"input": x, "target": t}, kwargs, g, extra)

    # 4-d input (N, C, H, W) with (N, H, W) targets.
    for name, kwargs, weighted in [
        ("cross_entropy_4d", dict(reduction="mean"), False),
        ("cross_entropy_4d_none", dict(reduction="none"), False),
        ("cross_entropy_4d_combined", dict(reduction="mean", ignore_index=-100,
                                           label_smoothing=0.1), True),
    ]:
        g = gen("losses/" + name)
        x = randn(g, 2, 4, 3, 3, scale=2.0)
        t = torch.randint(0, 4, (2, 3, 3), generator=g, dtype=torch.int64)
        if "ignore_index" in kwargs:
            t[0, 1, 1] = -100
            t[1, 2, 0] = -100
        extra = {"weight": torch.rand(4, generator=g) + 0.5} if weighted else {}
        loss_case(w, name, "cross_entropy", {"input": x, "target": t}, kwargs, g, extra)

    # nll_loss takes log-probabilities as input.
    for name, kwargs, weighted, ignore in [
        ("nll_loss_mean", dict(reduction="mean"), False, None),
        ("nll_loss_none", dict(reduction="none"), False, None),
        ("nll_loss_sum", dict(reduction="sum"), False, None),
        ("nll_loss_weight", dict(reduction="mean"), True, None),
        ("nll_loss_ignore_index", dict(reduction="mean", ignore_index=2), False, 2),
    ]:
        g = gen("losses/" + name)
        x, t = logits_targets(g)
        x = F.log_softmax(x, dim=1)
        if ignore is not None:
            t[0] = ignore
            t[3] = ignore
        extra = {"weight": torch.rand(c, generator=g) + 0.5} if weighted else {}
        loss_case(w, name, "nll_loss", {"input": x, "target": t}, kwargs, g, extra)

    # Regression losses; one exactly-equal element tests the L1 derivative at 0.
    for fn in ("mse_loss", "l1_loss"):
        for red in ("none", "mean", "sum"):
            name = f"{fn}_{red}"
            g = gen("losses/" + name)
            x = randn(g, 4, 5)
            t = randn(g, 4, 5)
            t[0, 0] = x[0, 0]
            loss_case(w, name, fn, {"input": x, "target": t}, dict(reduction=red), g)

    # BCE with logits; targets mix hard 0/1 labels and soft values.
    def bce_inputs(g):
        x = randn(g, 4, 3, scale=3.0)
        t = (torch.rand(4, 3, generator=g) > 0.5).to(torch.float32)
        t[0, 0] = 0.25
        t[2, 1] = 0.75
        return x, t

    for name, kwargs, extras in [
        ("bce_with_logits_none", dict(reduction="none"), ()),
        ("bce_with_logits_mean", dict(reduction="mean"), ()),
        ("bce_with_logits_sum", dict(reduction="sum"), ()),
        ("bce_with_logits_pos_weight", dict(reduction="mean"), ("pos_weight",)),
        ("bce_with_logits_weight", dict(reduction="mean"), ("weight",)),
        ("bce_with_logits_weight_pos_weight_none", dict(reduction="none"),
         ("weight", "pos_weight")),
    ]:
        g = gen("losses/" + name)
        x, t = bce_inputs(g)
        extra = {}
        if "weight" in extras:
            extra["weight"] = torch.rand(4, 3, generator=g) + 0.5
        if "pos_weight" in extras:
            extra["pos_weight"] = torch.rand(3, generator=g) * 2 + 0.5
        loss_case(w, name, "binary_cross_entropy_with_logits", {"input": x, "target": t},
                  kwargs, g, extra)


# ----------------------------------------------------------------------------- optimizers

OPT_STEPS = 20


def make_optimizers(w: Writer):
    # One gradient sequence shared by every optimizer case so runs are comparable.
    gg = gen("optimizers/grads")
    grads = [(randn(gg, 3, 4), randn(gg, 4)) for _ in range(OPT_STEPS)]

    cases = [
        ("sgd", torch.optim.SGD, dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0,
                                      nesterov=False)),
        ("sgd_momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.0,
                                               weight_decay=0.0, nesterov=False)),
        ("sgd_momentum_dampening", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1,
                                                         weight_decay=0.0, nesterov=False)),
        ("sgd_nesterov", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.0,
                                               weight_decay=0.0, nesterov=True)),
        ("sgd_weight_decay", torch.optim.SGD, dict(lr=0.1, momentum=0.0, dampening=0.0,
                                                   weight_decay=0.01, nesterov=False)),
        ("adam", torch.optim.Adam, dict(lr=0.001, betas=[0.9, 0.999], eps=1e-8,
                                        weight_decay=0.0, amsgrad=False)),
        ("adam_weight_decay", torch.optim.Adam, dict(lr=0.001, betas=[0.9, 0.999], eps=1e-8,
                                                     weight_decay=0.1, amsgrad=False)),
        ("adam_amsgrad", torch.optim.Adam, dict(lr=0.001, betas=[0.9, 0.999], eps=1e-8,
                                                weight_decay=0.0, amsgrad=True)),
        ("adamw", torch.optim.AdamW, dict(lr=0.001, betas=[0.9, 0.999], eps=1e-8,
                                          weight_decay=0.01, amsgrad=False)),
        ("adamw_amsgrad", torch.optim.AdamW, dict(lr=0.001, betas=[0.9, 0.999], eps=1e-8,
                                                  weight_decay=0.01, amsgrad=True)),
        ("rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0,
                                              momentum=0.0, centered=False)),
        ("rmsprop_centered", torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8,
                                                       weight_decay=0.0, momentum=0.0,
                                                       centered=True)),
        ("rmsprop_momentum", torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8,
                                                       weight_decay=0.0, momentum=0.9,
                                                       centered=False)),
        ("rmsprop_weight_decay", torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8,
                                                           weight_decay=0.1, momentum=0.0,
                                                           centered=False)),
        ("adagrad", torch.optim.Adagrad, dict(lr=0.01, lr_decay=0.0, weight_decay=0.0,
                                              initial_accumulator_value=0.0, eps=1e-10)),
        ("adagrad_lr_decay", torch.optim.Adagrad, dict(lr=0.01, lr_decay=0.01, weight_decay=0.0,
                                                       initial_accumulator_value=0.0,
                                                       eps=1e-10)),
        ("adagrad_weight_decay", torch.optim.Adagrad, dict(lr=0.01, lr_decay=0.0,
                                                           weight_decay=0.1,
                                                           initial_accumulator_value=0.0,
                                                           eps=1e-10)),
        ("adagrad_initial_accumulator", torch.optim.Adagrad,
         dict(lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.1,
              eps=1e-10)),
        ("sgd_momentum_param_groups", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.0,
                                                            weight_decay=0.0, nesterov=False)),
    ]
    for name, cls, kwargs in cases:
        g = gen("optimizers/" + name)
        pw = nn.Parameter(randn(g, 3, 4))
        pb = nn.Parameter(randn(g, 4))
        call_kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()}
        cfg = dict(kwargs)
        cfg["_optimizer"] = cls.__name__
        cfg["_steps"] = OPT_STEPS
        if name.endswith("_param_groups"):
            groups = [{"params": [pw], "lr": 0.1}, {"params": [pb], "lr": 0.01}]
            opt = cls(groups, foreach=False, **call_kwargs)
            cfg["_param_groups"] = [{"params": ["w"], "lr": 0.1}, {"params": ["b"], "lr": 0.01}]
        else:
            opt = cls([pw, pb], foreach=False, **call_kwargs)
        tensors = {"init.w": pw.detach().clone(), "init.b": pb.detach().clone()}
        for k in range(1, OPT_STEPS + 1):
            gw, gb = grads[k - 1]
            opt.zero_grad(set_to_none=True)
            pw.grad = gw.clone()
            pb.grad = gb.clone()
            opt.step()
            tensors[f"grads.{k}.w"] = gw
            tensors[f"grads.{k}.b"] = gb
            tensors[f"step.{k}.w"] = pw.detach().clone()
            tensors[f"step.{k}.b"] = pb.detach().clone()
        state_step = {}
        for pname, p in (("w", pw), ("b", pb)):
            for sk, sv in sorted(opt.state[p].items()):
                if sk == "step":
                    state_step[pname] = float(sv)
                elif isinstance(sv, torch.Tensor):
                    tensors[f"state.{pname}.{sk}"] = sv.detach().clone()
        cfg["_state_step"] = state_step
        w.safetensors(f"optimizers/{name}.safetensors", tensors, cfg)


# ----------------------------------------------------------------------------- schedulers

SCHED_STEPS = 30


def jsonable(v):
    """Converts a state_dict value to JSON: non-finite floats and unknown objects become strings."""
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, torch.Tensor):
        return jsonable(v.tolist())
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return str(v)


def make_schedulers(w: Writer):
    S = torch.optim.lr_scheduler
    plateau_min = [1.0, 0.9, 0.85, 0.86, 0.87, 0.84, 0.85, 0.86, 0.87, 0.88,
                   0.80, 0.80, 0.80, 0.80, 0.79, 0.7999, 0.7998, 0.79, 0.5, 0.6,
                   0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    plateau_max = [0.1, 0.2, 0.3, 0.3, 0.3, 0.31, 0.35, 0.35, 0.35, 0.35,
                   0.35, 0.355, 0.36, 0.36, 0.36, 0.36, 0.36, 0.36, 0.36, 0.36,
                   0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]

    cases = []

    def add(name, optimizer, opt_kwargs, scheduler, sched_kwargs, build, metrics=None,
            record=None):
        cases.append((name, optimizer, opt_kwargs, scheduler, sched_kwargs, build, metrics,
                      record))

    sgd = dict(lr=0.1)
    add("StepLR", "SGD", sgd, "StepLR", dict(step_size=5, gamma=0.5),
        lambda o: S.StepLR(o, step_size=5, gamma=0.5))
    add("MultiStepLR", "SGD", sgd, "MultiStepLR", dict(milestones=[5, 12, 20], gamma=0.1),
        lambda o: S.MultiStepLR(o, milestones=[5, 12, 20], gamma=0.1))
    add("ExponentialLR", "SGD", sgd, "ExponentialLR", dict(gamma=0.9),
        lambda o: S.ExponentialLR(o, gamma=0.9))
    add("CosineAnnealingLR", "SGD", sgd, "CosineAnnealingLR", dict(T_max=10, eta_min=0.001),
        lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001))
    add("CosineAnnealingLR_Tmax30", "SGD", sgd, "CosineAnnealingLR",
        dict(T_max=30, eta_min=0.001), lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001))
    add("LinearLR", "SGD", sgd, "LinearLR", dict(start_factor=0.1, end_factor=1.0, total_iters=5),
        lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5))
    add("OneCycleLR_sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9), "OneCycleLR",
        dict(max_lr=0.1, total_steps=30), lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30),
        record="momentum")
    add("OneCycleLR_adam", "Adam", dict(lr=0.1), "OneCycleLR", dict(max_lr=0.1, total_steps=30),
        lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30), record="betas")
    add("OneCycleLR_linear_three_phase", "SGD", dict(lr=0.1, momentum=0.9), "OneCycleLR",
        dict(max_lr=0.1, total_steps=30, anneal_strategy="linear", three_phase=True),
        lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30, anneal_strategy="linear",
                               three_phase=True), record="momentum")
    add("ReduceLROnPlateau", "SGD", sgd, "ReduceLROnPlateau",
        dict(mode="min", factor=0.5, patience=2),
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2), metrics=plateau_min)
    add("ReduceLROnPlateau_max_abs_cooldown", "SGD", sgd, "ReduceLROnPlateau",
        dict(mode="max", factor=0.5, patience=1, threshold=0.01, threshold_mode="abs",
             cooldown=2, min_lr=0.01),
        lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=1, threshold=0.01,
                                      threshold_mode="abs", cooldown=2, min_lr=0.01),
        metrics=plateau_max)
    add("SequentialLR", "SGD", sgd, "SequentialLR",
        dict(schedulers=[{"LinearLR": dict(start_factor=0.1, end_factor=1.0, total_iters=5)},
                         {"CosineAnnealingLR": dict(T_max=25, eta_min=0.001)}],
             milestones=[5]),
        lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, end_factor=1.0,
                                                total_iters=5),
                                     S.CosineAnnealingLR(o, T_max=25, eta_min=0.001)],
                                 milestones=[5]))
    add("ChainedScheduler", "SGD", sgd, "ChainedScheduler",
        dict(schedulers=[{"LinearLR": dict(start_factor=0.1, end_factor=1.0, total_iters=5)},
                         {"ExponentialLR": dict(gamma=0.95)}]),
        lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.1, end_factor=1.0,
                                                 total_iters=5),
                                      S.ExponentialLR(o, gamma=0.95)]))

    out = {}
    for name, optimizer, opt_kwargs, scheduler, sched_kwargs, build, metrics, record in cases:
        p = nn.Parameter(torch.zeros(2))
        opt = getattr(torch.optim, optimizer)([p], **opt_kwargs)
        sched = build(opt)
        entry = {
            "optimizer": optimizer,
            "optimizer_kwargs": opt_kwargs,
            "scheduler": scheduler,
            "scheduler_kwargs": sched_kwargs,
            "steps": SCHED_STEPS,
            "initial_lr": opt.param_groups[0]["lr"],
            "lrs": [],
        }
        if metrics is not None:
            entry["metrics"] = metrics
        if record is not None:
            entry["initial_" + record] = jsonable(opt.param_groups[0][record])
            entry[record] = []
        for k in range(SCHED_STEPS):
            opt.step()  # no gradients: parameters stay put, but the call order matches training
            if metrics is not None:
                sched.step(metrics[k])
            else:
                sched.step()
            entry["lrs"].append(opt.param_groups[0]["lr"])
            if record is not None:
                entry[record].append(jsonable(opt.param_groups[0][record]))
            if k + 1 == 10:
                entry["state_dict_after_10"] = jsonable(sched.state_dict())
        out[name] = entry
    w.json("schedulers.json", out)


# ----------------------------------------------------------------------------- end to end

E2E_STEPS = 50


def hashed_init(model: nn.Sequential):
    """Sets every Linear/Conv2d from cairn_hash: unit(seed) * float32(1/sqrt(fan_in))."""
    with torch.no_grad():
        for idx, m in enumerate(model):
            if not isinstance(m, (nn.Linear, nn.Conv2d)):
                continue
            fan_in = m.weight[0].numel()
            scale = torch.tensor(1.0 / math.sqrt(fan_in), dtype=torch.float32)
            wv = torch.from_numpy(cairn_hash.unit_array(100 + idx * 2, m.weight.numel()))
            bv = torch.from_numpy(cairn_hash.unit_array(101 + idx * 2, m.bias.numel()))
            m.weight.copy_(wv.reshape(m.weight.shape) * scale)
            m.bias.copy_(bv.reshape(m.bias.shape) * scale)


def train_e2e(w: Writer, name: str, model: nn.Sequential, input_shape, keep_full):
    hashed_init(model)
    batch = input_shape[0]
    per_sample = math.prod(input_shape[1:])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=False)
    loss_fn = nn.CrossEntropyLoss()
    tensors = {}
    for name_p, p in model.named_parameters():
        tensors[f"init_stat.{name_p}.sum"] = p.detach().double().sum()
        tensors[f"init_stat.{name_p}.sumsq"] = (p.detach().double() ** 2).sum()
    losses = []
    for s in range(E2E_STEPS):
        x = torch.from_numpy(cairn_hash.unit_array(1000 + s, batch * per_sample))
        x = x.reshape(*input_shape)
        y = torch.from_numpy(cairn_hash.label_array(5000 + s, batch, 10))
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    tensors["loss"] = torch.stack(losses)
    for name_p, p in model.named_parameters():
        if name_p in keep_full:
            tensors[f"param.{name_p}"] = p.detach().clone()
        tensors[f"stat.{name_p}.sum"] = p.detach().double().sum()
        tensors[f"stat.{name_p}.sumsq"] = (p.detach().double() ** 2).sum()
    cfg = {
        "_model": name,
        "_layers": [type(m).__name__ for m in model],
        "_batch": batch,
        "_input_shape": list(input_shape),
        "_steps": E2E_STEPS,
        "_optimizer": "Adam",
        "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
        "_loss": "CrossEntropyLoss(reduction=mean)",
        "_x_seed": "1000 + step",
        "_y_seed": "5000 + step",
        "_weight_seed": "100 + 2 * layer_index",
        "_bias_seed": "101 + 2 * layer_index",
    }
    w.safetensors(f"e2e/{name}.safetensors", tensors, cfg)


def make_e2e(w: Writer):
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, 10))
    train_e2e(w, "mlp", mlp, (128, 784), keep_full={"0.bias", "2.bias", "4.weight", "4.bias"})
    cnn = nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(512, 10))
    train_e2e(w, "cnn", cnn, (64, 1, 28, 28),
              keep_full={"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"})
    # A few raw hash values so the Swift port of cairn_hash can be checked on its own.
    hs = {
        "splitmix64.input": torch.tensor([0, 1, 2**63 - 1, 1000 * 1_000_003], dtype=torch.int64),
    }
    # splitmix64 outputs are uint64; stored bit-cast to int64 (two's complement).
    outs = [cairn_hash.splitmix64(int(v)) for v in hs["splitmix64.input"].tolist()]
    hs["splitmix64.output"] = torch.tensor([o - (1 << 64) if o >= (1 << 63) else o
                                            for o in outs], dtype=torch.int64)
    hs["unit.seed1000"] = torch.from_numpy(cairn_hash.unit_array(1000, 16))
    hs["unit.seed100"] = torch.from_numpy(cairn_hash.unit_array(100, 16))
    hs["label.seed5000.classes10"] = torch.from_numpy(cairn_hash.label_array(5000, 16, 10))
    w.safetensors("e2e/hash.safetensors", hs, {"_count": 16})


# ----------------------------------------------------------------------------- ops

def canonical_bf16_nan(t: torch.Tensor) -> torch.Tensor:
    """Rewrites every NaN as 0x7FC0: torch's vectorised float->bfloat16 path makes 0xFFFF but
    its scalar path 0x7FC0, and which one runs depends on the CPU and tensor length."""
    bits = t.view(torch.int16).clone()
    bits[torch.isnan(t)] = 0x7FC0
    return bits.view(torch.bfloat16)


def make_ops(w: Writer):
    g = gen("ops/softmax_large")
    x = torch.tensor([
        [1000.0, -1000.0, 0.0, 999.0, 1000.0, -999.5],
        [-1000.0, -1000.0, -1000.0, -1000.0, -1000.0, -1000.0],
        [1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0],
        [88.5, 89.0, -103.0, 0.0, 1e-3, 104.0],
    ], dtype=torch.float32)
    xn = x.clone()
    xn[0, 1] = -math.inf
    xn[3, 2] = -math.inf
    go = randn(g, 4, 6)
    t = {"input": x, "input_neginf": xn, "grad_output": go}
    for dim in (0, 1):
        t[f"softmax.dim{dim}"] = torch.softmax(x, dim=dim)
        t[f"log_softmax.dim{dim}"] = torch.log_softmax(x, dim=dim)
    t["softmax_neginf.dim1"] = torch.softmax(xn, dim=1)
    t["log_softmax_neginf.dim1"] = torch.log_softmax(xn, dim=1)
    for fname, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        xi = x.clone().requires_grad_(True)
        (fn(xi, dim=1) * go).sum().backward()
        t[f"grad.{fname}.dim1"] = xi.grad
    w.safetensors("ops/softmax_large.safetensors", t, {"_dims": [0, 1]})

    # dtype conversions
    f16_min_sub = 2.0 ** -24
    tricky = [
        0.0, -0.0, 1.0, -1.0, 1e-8, -1e-8, 65504.0, 65519.0, 65520.0, -65520.0, 65536.0, 1e30,
        -1e30, math.nan, math.inf, -math.inf,
        1e-45, -1e-45, 1e-40, 1.1754942e-38, 1.17549435e-38,  # f32 subnormals and min normal
        f16_min_sub, f16_min_sub / 2, f16_min_sub * 1.5, f16_min_sub * 0.75, 2.0 ** -14,
        1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -11 + 2.0 ** -20, -(1 + 2.0 ** -11),
        1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -20, -(1 + 3 * 2.0 ** -8),
        3.4028235e38, 3.3895314e38, 0.1, -0.3, 3.14159265, 2049.0, 2051.0, 4097.0,
    ]
    src = torch.tensor(tricky, dtype=torch.float32)
    t = {
        "src.f32": src,
        "to.f16": src.to(torch.float16),
        "to.bf16": canonical_bf16_nan(src.to(torch.bfloat16)),
        "to.f64": src.to(torch.float64),
    }
    ints_common = [0.0, -0.0, 0.4, 0.5, 0.6, 1.5, 2.5, -0.5, -1.5, -2.5, -2.7, 2.7, 99.99,
                   -99.99, 127.0, -128.0, 127.9, -128.9]
    t["src.i8"] = torch.tensor(ints_common, dtype=torch.float32)
    t["to.i8"] = t["src.i8"].to(torch.int8)
    t["src.u8"] = torch.tensor([0.0, -0.0, 0.4, 0.5, 0.99, 1.5, 2.5, 2.7, 127.5, 128.0, 254.9,
                                255.0, 255.9], dtype=torch.float32)
    t["to.u8"] = t["src.u8"].to(torch.uint8)
    t["src.i32"] = torch.tensor(ints_common + [16777217.0, -16777217.0, 2147483520.0,
                                               -2147483648.0, 1e9, -1e9], dtype=torch.float32)
    t["to.i32"] = t["src.i32"].to(torch.int32)
    t["src.i64"] = torch.tensor(ints_common + [2147483648.0, -2147483904.0, float(2**40),
                                               float(2**63 - 2**39), float(-(2**63))], dtype=torch.float32)
    t["to.i64"] = t["src.i64"].to(torch.int64)
    # float64 -> float32 rounding (ties to even, overflow, underflow).
    f32_half_ulp = 2.0 ** -24
    t["src.f64"] = torch.tensor([1 + f32_half_ulp, 1 + 3 * f32_half_ulp,
                                 1 + f32_half_ulp + 2.0 ** -40, 0.1, 1e-46, 7e-46, 8e-46, 1e39,
                                 float((2**25 - 1) * 2**103),
                                 float((2**25 - 1) * 2**103 - 2**80), -1e300,
                                 math.nan, -math.inf], dtype=torch.float64)
    t["to.f32_from_f64"] = t["src.f64"].to(torch.float32)
    t["src.i64_big"] = torch.tensor([16777216, 16777217, 16777218, 16777219, -16777217,
                                     2**53 + 1, 2**62 + 2**38, -(2**63)], dtype=torch.int64)
    t["to.f32_from_i64"] = t["src.i64_big"].to(torch.float32)
    t["to.f32_from_bf16"] = t["to.bf16"].to(torch.float32)
    t["to.f32_from_f16"] = t["to.f16"].to(torch.float32)
    w.safetensors("ops/dtypes.safetensors", t, {"_torch": "Tensor.to"})

    # reductions
    g = gen("ops/reductions")
    m = randn(g, 4, 5, scale=2.0)
    ties = torch.tensor([[1.0, 3.0, 3.0, 0.0, 3.0],
                         [-2.0, -2.0, -5.0, -1.0, -1.0],
                         [0.0, 0.0, 0.0, 0.0, 0.0],
                         [7.0, 1.0, 7.0, -7.0, -7.0]], dtype=torch.float32)
    t3 = randn(g, 2, 3, 4)
    r = {"mat": m, "mat_ties": ties, "t3": t3}
    for src_name, src_t in (("mat", m), ("mat_ties", ties)):
        for dim in (0, 1):
            sfx = f"{src_name}.dim{dim}"
            r[f"sum.{sfx}"] = src_t.sum(dim=dim)
            r[f"mean.{sfx}"] = src_t.mean(dim=dim)
            r[f"max.{sfx}"] = src_t.max(dim=dim).values
            r[f"argmax.{sfx}"] = src_t.argmax(dim=dim)
            r[f"min.{sfx}"] = src_t.min(dim=dim).values
            r[f"argmin.{sfx}"] = src_t.argmin(dim=dim)
            r[f"var_unbiased.{sfx}"] = src_t.var(dim=dim, unbiased=True)
            r[f"var_biased.{sfx}"] = src_t.var(dim=dim, unbiased=False)
            r[f"std_unbiased.{sfx}"] = src_t.std(dim=dim, unbiased=True)
            r[f"std_biased.{sfx}"] = src_t.std(dim=dim, unbiased=False)
        sfx = f"{src_name}.all"
        r[f"sum.{sfx}"] = src_t.sum()
        r[f"mean.{sfx}"] = src_t.mean()
        r[f"max.{sfx}"] = src_t.max()
        r[f"argmax.{sfx}"] = src_t.argmax()
        r[f"min.{sfx}"] = src_t.min()
        r[f"argmin.{sfx}"] = src_t.argmin()
        r[f"var_unbiased.{sfx}"] = src_t.var(unbiased=True)
        r[f"var_biased.{sfx}"] = src_t.var(unbiased=False)
        r[f"std_unbiased.{sfx}"] = src_t.std(unbiased=True)
        r[f"std_biased.{sfx}"] = src_t.std(unbiased=False)
    for dim in (0, 1, 2):
        r[f"sum.t3.dim{dim}"] = t3.sum(dim=dim)
        r[f"mean.t3.dim{dim}"] = t3.mean(dim=dim)
        r[f"max.t3.dim{dim}"] = t3.max(dim=dim).values
        r[f"argmax.t3.dim{dim}"] = t3.argmax(dim=dim)
        r[f"var_unbiased.t3.dim{dim}"] = t3.var(dim=dim, unbiased=True)
        r[f"var_biased.t3.dim{dim}"] = t3.var(dim=dim, unbiased=False)
    w.safetensors("ops/reductions.safetensors", r, {"_sources": ["mat", "mat_ties", "t3"]})


# ----------------------------------------------------------------------------- driver

def generate(root: str) -> list:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cairn_hash.self_check()
    w = Writer(root)
    make_layers(w)
    make_losses(w)
    make_optimizers(w)
    make_schedulers(w)
    make_e2e(w)
    make_ops(w)
    return sorted(w.written)


def committed_files(root: str) -> list:
    found = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), root)
            # Inputs saved by scripts/fuzz.sh are regression data, not generated by this script.
            if rel not in HAND_WRITTEN and not rel.startswith("fuzz-regressions" + os.sep):
                found.append(rel)
    return sorted(found)


def describe_difference(fresh: str, committed: str) -> str:
    """Names the differing tensors and their largest absolute difference, to tell a real
    change from last-bit noise (BLAS kernels can differ between CPU families)."""
    if not fresh.endswith(".safetensors"):
        return ""
    try:
        a, b = load_file(fresh), load_file(committed)
    except Exception as e:  # a corrupt committed file is a difference in itself
        return f" (cannot read: {e})"
    notes = []
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            notes.append(f"{k}: only in {'regenerated' if k in a else 'committed'}")
        elif a[k].dtype != b[k].dtype or a[k].shape != b[k].shape:
            notes.append(f"{k}: dtype/shape differ")
        elif not torch.equal(a[k].view(-1).view(torch.uint8), b[k].view(-1).view(torch.uint8)):
            diff = (a[k].double() - b[k].double()).abs()
            diff = diff[~torch.isnan(diff)]
            notes.append(f"{k}: max |diff| {diff.max().item() if diff.numel() else 'nan'}")
    if not notes:
        notes.append("metadata differs")
    return " (" + "; ".join(notes) + ")"


def check(root: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(tmp)
        existing = set(committed_files(root))
        bad = 0
        for rel in fresh:
            if rel not in existing:
                print(f"missing: {rel}")
                bad += 1
            elif not filecmp.cmp(os.path.join(tmp, rel), os.path.join(root, rel), shallow=False):
                print(f"differs: {rel}{describe_difference(os.path.join(tmp, rel), os.path.join(root, rel))}")
                bad += 1
        for rel in sorted(existing - set(fresh)):
            print(f"stale (no longer generated): {rel}")
            bad += 1
    if bad:
        print(f"{bad} fixture file(s) out of date; rerun scripts/make_fixtures.py")
        return 1
    print(f"all {len(fresh)} fixture files match")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output root (default Tests/Fixtures)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and compare with --out")
    args = ap.parse_args()
    if args.check:
        return check(args.out)
    files = generate(args.out)
    total = 0
    for rel in files:
        size = os.path.getsize(os.path.join(args.out, rel))
        total += size
        print(f"{size:8d}  {rel}")
    print(f"{total:8d}  total ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
