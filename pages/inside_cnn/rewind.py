"""Rewinding training on "Inside a CNN": a slider over the checkpoints the shipped network's
training saved, from random weights (step 0) to trained.

Every checkpoint is a file in assets/, checked against its card and shared by the whole class
like the trained network (``ui.models``); nothing trains at run time, and the test accuracy
of each checkpoint is read from the card, measured when training saved it.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.weights import WeightsError, read_card
from pages.inside_cnn.model import Chosen, NetworkKey
from ui import address
from ui.models import SUBJECTS, assets_dir, checkpoint_model, checkpoints, ships_checkpoints

STEP_HELP = (
    "One training step shows the network 128 training pictures and moves every weight a "
    "little to make fewer mistakes on them. Slide left to see the network earlier in its "
    "training, right back to the trained network."
)


def step_param(steps: tuple[int, ...]) -> address.Choice:
    """Which checkpoint: one of ``steps`` (ascending); the last, trained, by default."""
    return address.Choice(
        "inside.step",
        "Rewind training: after how many steps?",
        steps,
        steps[-1],
        "{:,}".format,  # 12,900, as the page's sentences write it
        help=STEP_HELP,
    )


def stage_words(step: int, epoch: float, last: int, pictures: int = 60_000) -> str:
    """What a student sees at ``step`` (``epoch`` passes over the ``pictures`` training
    pictures; ``last`` is the trained network's step), in plain words."""
    if step == 0:
        return (
            "Step 0 is the network before any training: every kernel holds random numbers. "
            "The feature maps are the picture smeared by random kernels, and the answer is a "
            "guess: about 1 test picture in 10 is right, as if it picked a class by chance."
        )
    if epoch < 1:
        return (
            f"After {step:,} steps the network has seen {128 * step:,} training pictures, not "
            f"yet all {pictures:,} once. The test accuracy has already jumped, but the first "
            "layer's kernels have hardly moved from their random start (compare them below "
            "with step 0): the layers nearer the answer learn first."
        )
    if step < last:
        return (
            f"After {epoch:.0f} passes over the {pictures:,} training pictures the first layer's "
            "kernels have grown stronger (see the numbers at the ends of their colour scale) "
            "and more patterned. Each later step changes them less: training now fine-tunes, "
            "and the test accuracy climbs slowly."
        )
    return (
        "The trained network: this is where training stopped. The rest of the page shows "
        "it; slide left to watch it learn."
    )


def choose_step(chosen: Chosen) -> Chosen:
    """A slider over the shipped network's training checkpoints; the network at the chosen
    step (``chosen`` itself when trained, for another network, or when a file is damaged)."""
    name = chosen.dataset
    if chosen.key != NetworkKey("shipped", name):
        return chosen  # a network trained on the Train page has no checkpoints here
    if not ships_checkpoints(name):
        return chosen  # this version of the app ships no checkpoints of this network
    try:
        entries = checkpoints(name)
        pictures = int(read_card(name, assets_dir=assets_dir()).get("training_images", 60_000))
    except WeightsError as error:
        st.warning(
            f"**Training cannot be rewound: the saved training steps are missing or damaged.** "
            f"{error} The page shows the trained network.",
            icon=":material/history_toggle_off:",
        )
        return chosen
    steps = tuple(entry["step"] for entry in entries)
    step = address.choice(step_param(steps), "select_slider")
    entry = entries[steps.index(step)]
    accuracy = 100 * entry["test_accuracy"]
    passes = f"{entry['epoch']:.2f}".rstrip("0").rstrip(".")
    moment = "before any training" if step == 0 else f"{passes} passes over the training pictures"
    st.markdown(
        f"**Step {step:,} of {steps[-1]:,}** ({moment}): "
        f"**{accuracy:.1f} % right** on the 10,000 test pictures."
    )
    st.caption(stage_words(step, entry["epoch"], steps[-1], pictures))
    if step == steps[-1]:
        return chosen
    try:
        model = checkpoint_model(name, step)
    except WeightsError as error:
        st.warning(
            f"**The network at step {step:,} cannot be shown: its file is missing or "
            f"damaged.** {error} The page shows the trained network.",
            icon=":material/history_toggle_off:",
        )
        return chosen
    title = f"{SUBJECTS[name]} after {step:,} training steps: {accuracy:.1f} % right"
    return Chosen(model, name, NetworkKey("checkpoint", name, step), title)
