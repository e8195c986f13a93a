"""Named random streams: one independent PCG64 generator per part of the simulation.

Each module draws from its own stream, so changing how many numbers one module draws never
shifts the data of another, and the same seed always gives the same export.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for one named part of the simulation under one seed."""
    entropy = np.random.SeedSequence([int(seed), zlib.crc32(name.encode())])
    return np.random.Generator(np.random.PCG64(entropy))


def pick(rng: np.random.Generator, options, size, p=None) -> np.ndarray:
    """Draw `size` values from `options` (with optional weights) as a numpy array."""
    options = np.asarray(options)
    weights = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return options[rng.choice(len(options), size=size, p=weights)]
