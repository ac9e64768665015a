"""Deterministic integer-hash data for Cairn's end-to-end fixtures.

Everything here is plain 64-bit integer arithmetic so Swift can reproduce it bit for bit
(`&+`, `&*`, `>>` on `UInt64`). The exact formulas are documented in Tests/Fixtures/README.md:

    splitmix64(x):
        z = (x + 0x9E3779B97F4A7C15) mod 2^64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) mod 2^64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) mod 2^64
        return z ^ (z >> 31)

    key(seed, i)            = (seed * 1_000_003 + i) mod 2^64
    unit(seed, i)           = float32(((splitmix64(key) >> 40) / 2^24) * 2 - 1)   in [-1, 1)
    label(seed, i, classes) = splitmix64(key) mod classes

`unit` is exact: (h >> 40) is a 24-bit integer k and the value is (2k - 2^24) / 2^24, which
float32 represents exactly, so no rounding mode matters.

The scalar functions are the reference; the `*_array` versions are vectorised with numpy's
uint64 (which wraps modulo 2^64 by definition) and are checked against the scalar ones.
"""

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
SEED_STRIDE = 1_000_003


def splitmix64(x: int) -> int:
    """SplitMix64 finaliser of one 64-bit integer (reference implementation)."""
    z = (x + GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def key(seed: int, i: int) -> int:
    """The hashed counter for element `i` of stream `seed`."""
    return (seed * SEED_STRIDE + i) & MASK64


def unit(seed: int, i: int) -> float:
    """A float32-exact value in [-1, 1) (returned as a Python float)."""
    k = splitmix64(key(seed, i)) >> 40
    return (k / float(1 << 24)) * 2.0 - 1.0


def label(seed: int, i: int, classes: int) -> int:
    """A class index in [0, classes)."""
    return splitmix64(key(seed, i)) % classes


def splitmix64_array(x: np.ndarray) -> np.ndarray:
    """Vectorised `splitmix64` over a uint64 array."""
    z = x.astype(np.uint64) + np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def _keys(seed: int, count: int) -> np.ndarray:
    base = np.uint64((seed * SEED_STRIDE) & MASK64)
    return base + np.arange(count, dtype=np.uint64)


def unit_array(seed: int, count: int) -> np.ndarray:
    """`unit(seed, i)` for i in 0..<count as a float32 array."""
    k = splitmix64_array(_keys(seed, count)) >> np.uint64(40)
    return ((k.astype(np.float64) / float(1 << 24)) * 2.0 - 1.0).astype(np.float32)


def label_array(seed: int, count: int, classes: int) -> np.ndarray:
    """`label(seed, i, classes)` for i in 0..<count as an int64 array."""
    return (splitmix64_array(_keys(seed, count)) % np.uint64(classes)).astype(np.int64)


def self_check() -> None:
    """Asserts the vectorised versions agree with the scalar reference on a sample."""
    with np.errstate(over="ignore"):
        for seed in (0, 1, 100, 1000, 5049, 2**40):
            us = unit_array(seed, 257)
            ls = label_array(seed, 257, 10)
            for i in (0, 1, 2, 128, 255, 256):
                assert float(us[i]) == unit(seed, i), (seed, i)
                assert int(ls[i]) == label(seed, i, 10), (seed, i)
