"""How a kernel learns: the settings, the cached run, and the animation that plays in the browser.

The server computes a whole run once per settings (``cnnviz.learn.descend``, cached in the
shared budget) and sends it to one Streamlit v2 component (``ui/components/learn.js`` and
``.css``, plain files, no build step): the picture, the target output and every kernel of the
run as float32 files through the media store (fetched once per content), the losses and
settings as a small JSON. Play, the scrubber and the keys then run in the browser: the
browser computes each step's output from the picture and that step's kernel, so a class
watching 30 steps a second costs the server nothing after the first run.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import streamlit as st

from cnnviz.learn import MAX_STEPS, TARGETS, LearnConfig, Trajectory, descend
from ui import address, cache
from ui.cache import PictureKey
from ui.linked import component_files, floats_spec, stops

_learn = st.components.v2.component("cnnviz_learn", **component_files("learn"))

TARGET_TITLES = {
    "sobel_x": "Sobel x (edges)",
    "gaussian_3": "Blur",
    "sharpen": "Sharpen",
    "hidden": "A hidden kernel",
}
SIGNED = {"sobel_x", "hidden"}  # outputs shown in signed colours; the others as grey pictures

TARGET = address.Choice(
    "learn.target",
    "Which kernel should it learn?",
    TARGETS,
    "sobel_x",
    TARGET_TITLES.get,
    help="The target: its output on the picture is what the learning kernel tries to copy.",
)
RATE = address.Decimal(
    "learn.rate",
    "Learning rate (how big each step is)",
    0.001,
    1.0,
    0.1,
    0.01,
    help="Each step moves every number by the learning rate times its slope. Too small: slow. "
    "Too large: the steps overshoot and the loss grows.",
)
STEPS = address.Whole(
    "learn.steps",
    "Number of steps",
    50,
    MAX_STEPS,
    1_000,
    50,
    help="How many updates the run makes. The whole run is computed at once, then played.",
)
SEED = address.Whole(
    "learn.seed",
    "Starting numbers (seed)",
    0,
    9_999,
    0,
    help="Chooses the random numbers the kernel starts from (and the hidden kernel). The same "
    "seed always gives the same start, so a shared link shows the same run.",
)
PARAMS = (TARGET, RATE, STEPS, SEED)


def seed() -> int:
    """The seed of the starting numbers, bound to the address, with a "New start" button."""
    value = address.number(SEED)
    st.button(
        "New start",
        key="learn.new_start",
        icon=":material/casino:",
        on_click=_new_start,
        help="New random starting numbers (and a new hidden kernel).",
    )
    return int(value)


def _new_start() -> None:
    """Move the seed on (runs before the widgets are made, so the number input shows it)."""
    seed = st.session_state.get(SEED.key, SEED.default)
    st.session_state[SEED.key] = (int(seed) + 1) % (SEED.high + 1)


def run(key: PictureKey, image: np.ndarray, config: LearnConfig) -> Trajectory:
    """The whole run for the working image named ``key``, computed once per settings."""
    return _run(key, image, config.target, config.rate, config.steps, config.seed)


@cache.budgeted("learn")
def _run(key: PictureKey, _image: np.ndarray, target: str, rate: float, steps: int, seed: int):
    return descend(_image, LearnConfig(target=target, rate=rate, steps=steps, seed=seed))


def animation(key: str, trajectory: Trajectory, *, target: str) -> None:
    """Mount the animation of ``trajectory``: picture, kernel now and target, output now,
    target output and the error, with Play, a step scrubber and the loss curve."""
    out = trajectory.target_output
    signed = target in SIGNED
    limit = float(max(np.abs(out).max(), 1e-12))
    data = {
        "picture": {**floats_spec(trajectory.picture, f"{key}.picture")},
        "pictureShape": list(trajectory.picture.shape),
        "targetOutput": {**floats_spec(out, f"{key}.target_output")},
        "outputShape": list(out.shape),
        "kernels": {**floats_spec(trajectory.kernels, f"{key}.kernels")},
        "steps": trajectory.steps,
        "losses": [float(v) for v in trajectory.losses],
        "target": [float(v) for v in trajectory.target.ravel()],
        "hidden": target == "hidden",
        "targetTitle": TARGET_TITLES[target],
        "rate": trajectory.rate,
        "blewUp": trajectory.blew_up,
        "signed": signed,
        "limits": [-limit, limit] if signed else [float(out.min()), float(out.max())],
        "stops": stops("RdBu_r"),
        "kernelLimit": float(max(np.abs(trajectory.target).max(), 1e-12)),
        "projector": bool(st.session_state.get("app.projector")),
        "label": "How a kernel learns: Play runs the learning step by step; the scrubber and "
        "the arrow keys move through the steps.",
    }
    data["digest"] = hashlib.blake2b(json.dumps(data, sort_keys=True).encode()).hexdigest()
    _learn(key=key, data=data, width="stretch", height="content")
