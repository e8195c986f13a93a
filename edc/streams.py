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


def planted(rng: np.random.Generator, size: int, share: float) -> np.ndarray:
    """A mask of about `share` of `size` rows, chosen at random, at least one when there are rows.

    For the data problems the simulator plants on purpose: even a small demo study shows each.
    """
    mask = np.zeros(size, dtype=bool)
    if size:
        mask[rng.choice(size, size=max(1, round(share * size)), replace=False)] = True
    return mask
