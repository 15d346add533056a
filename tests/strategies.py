"""Hypothesis strategies shared by the core tests: random images and valid settings."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

FLOATS = st.floats(-4, 4, width=32, allow_nan=False, allow_infinity=False)


def images(max_side: int = 12, channels: bool | None = None):
    """(H, W) or (C, H, W) float32 arrays, sides 1..max_side, non-square allowed."""
    ndim = st.sampled_from([2, 3]) if channels is None else st.just(3 if channels else 2)
    return ndim.flatmap(
        lambda n: st.tuples(
            *([st.integers(1, 3)] if n == 3 else []),
            st.integers(1, max_side),
            st.integers(1, max_side),
        )
    ).flatmap(lambda shape: arrays(np.float32, shape, elements=FLOATS))
