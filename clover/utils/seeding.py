"""Seeds derived from a run's seed and a position in the run.

A resumed run repeats the uninterrupted one exactly only if every random
draw depends on where in the run it happens, not on what the process drew
before. So each sample (from the seed, the epoch and its index) and each
training iteration (from the seed and the iteration) seeds the global
generators afresh (``docs/get_started.md``, "How resume works").
"""
import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

# The first entropy word keeps the streams apart, so that sample 5 of epoch
# 0 and iteration 5 never share a seed.
SAMPLE_STREAM = 0
ITERATION_STREAM = 1


def derive_seed(*entropy: int) -> int:
    """Mix integers into one 32-bit seed with NumPy's ``SeedSequence``.

    Args:
        *entropy (int): The values the seed depends on; negative ones are
            taken modulo 2**32.

    Returns:
        int: A seed in ``[0, 2**32)``.
    """
    words = [int(value) % 2**32 for value in entropy]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def seed_global_generators(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch's CPU
    and CUDA generators with ``seed``."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def global_generators_seeded(seed: int) -> Iterator[None]:
    """Run a block with Python's, NumPy's and torch's CPU generators seeded
    with ``seed``, and give them back their states afterwards.

    Data transforms draw from these generators; restoring them keeps a
    dataset read in the training process (``num_workers=0``) from changing
    the model's random draws.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
