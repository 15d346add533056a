"""Train, after the race: the results, the student's model file and the log of runs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.confusion import most_confused
from cnnviz.data import CLASS_NAMES
from cnnviz.model_file import (
    MAX_MEGABYTES,
    ModelCard,
    file_size,
    fits_upload,
    to_bytes,
)
from cnnviz.plotting import figure_png
from cnnviz.race import (  # the server's limits and the page's defaults live with the race
    CNN_NAME,
    MLP_NAME,
    MOVED_COUNT,
    MOVED_TEST,
    ModelResult,
    Plan,
    Race,
)
from cnnviz.race_figures import confusion_figure, kernels_figure
from pages.train.settings import JOINED_KEY, POOL_TITLES, PUBLISHED_KEY, RUNS_KEY, widget
from ui import cache, theme, views
from ui.user_model import UserModel, get_user_model, set_user_model


@cache.budgeted("race figure")
def _figure(kind: str, values: np.ndarray, scale: float, labels: tuple[str, ...] = ()) -> bytes:
    """PNG of a race's confusion matrix or kernels (kept by their numbers), its text ``scale``
    times larger."""
    if kind == "confusion":  # drawn with more pixels on a projector, where it gets more room
        return figure_png(confusion_figure(values, labels, text=scale), dpi=round(110 * scale))
    # On a projector, a square-ish grid, at least four a row: 16 kernels sit four a row, 32 six.
    columns = 8 if scale == 1 else max(4, math.ceil(math.sqrt(len(values))))
    return figure_png(kernels_figure(values, columns=columns))


def publish(job: Race | None) -> None:
    """Once a race is done: store its CNN as this user's model and log the run (once)."""
    if job is None or job.view().status != "done" or job.model is None:
        return
    if st.session_state.get(PUBLISHED_KEY) == job.id:
        return
    results = job.view().results
    cnn = results[CNN_NAME]
    set_user_model(
        job.model, dataset=job.plan.dataset, config=job.plan.cnn, test_accuracy=cnn.test_accuracy
    )
    st.session_state.setdefault(RUNS_KEY, []).append(_run_row(job.plan, results))
    st.session_state[PUBLISHED_KEY] = job.id


def _run_row(plan: Plan, results: dict[str, ModelResult]) -> dict:
    cnn, mlp = results[CNN_NAME], results[MLP_NAME]
    return {
        "data": f"{plan.dataset}, {plan.subset:,}",
        "CNN": f"{' → '.join(map(str, plan.cnn.channels))} filters, "
        f"{plan.cnn.kernel_size}×{plan.cnn.kernel_size}, "
        + (
            "no pooling"
            if plan.cnn.pool == "none"
            else f"{POOL_TITLES[plan.cnn.pool].lower()} pooling"
        ),
        "augmentation": plan.augment.describe(),
        "passes": round(cnn.passes, 2),
        "CNN test %": round(100 * cnn.test_accuracy, 1),
        "dense test %": round(100 * mlp.test_accuracy, 1),
        "CNN moved %": round(100 * cnn.moved_accuracy, 1),
        "dense moved %": round(100 * mlp.moved_accuracy, 1),
        "race s": round(max(cnn.wall, mlp.wall), 1),
        "CNN s": round(cnn.seconds, 1),
        "dense s": round(mlp.seconds, 1),
    }


def ending(r: ModelResult) -> str:
    """How a training ended, in a few words (empty when it simply finished)."""
    if r.ended == "budget":
        return f" (the race's time ran out after {r.steps} of {r.planned} planned steps)"
    if r.ended == "cap":
        return f" (stopped at this server's time cap after {r.steps} of {r.planned} steps)"
    return ""


def verdict(cnn: ModelResult, mlp: ModelResult) -> str:
    """Who won, per pass and per second, in two or three plain sentences."""
    gap = 100 * (cnn.test_accuracy - mlp.test_accuracy)
    same_passes = abs(cnn.passes - mlp.passes) < 1e-6
    where = f"after the same {cnn.passes:.2f} passes" if same_passes else "in the same time"
    leader = "The CNN is" if gap > 0 else "The dense network is"
    text = f"{leader} **{abs(gap):.1f} points ahead** {where}." if gap else f"A tie {where}."
    if not same_passes:
        return text + (
            f" In the same {max(cnn.wall, mlp.wall):.0f} s, each with half of the processor, "
            f"the dense network made {mlp.passes:.1f} passes over the images, the CNN "
            f"{cnn.passes:.2f}: each CNN pass costs more arithmetic."
        )
    slower = cnn.seconds / max(mlp.seconds, 1e-9)
    text += (
        f" Taking turns, the dense network's steps used {mlp.seconds:.1f} s of the processor, "
        f"the CNN's {cnn.seconds:.1f} s ({slower:.0f} times longer)."
    )
    if gap > 0:
        return text + (
            " Per pass the CNN learns more; per second, on a CPU, it has to earn it. "
            "Try “The same time” to give the dense network as much of the processor."
        )
    return text + (
        f" After only {cnn.passes:.2f} passes the CNN has not caught up yet: give it more "
        "images, more time or a higher learning rate."
    )


def show(job: Race) -> None:
    """Test accuracy, time, the confusion matrix and the kernels of a finished training."""
    view = job.view()
    if view.status != "done":
        return
    cnn, mlp = view.results[CNN_NAME], view.results[MLP_NAME]
    plan = job.plan
    st.subheader(f"Results on {cnn.confusion.sum():,} test images neither network has seen")
    columns = st.columns(2)
    for where, r in zip(columns, (cnn, mlp), strict=True):
        where.metric(
            f"{r.name[0].upper()}{r.name[1:]}: test accuracy",
            f"{100 * r.test_accuracy:.1f} %",
            border=True,
            help=f"{r.parameters:,} numbers learned",
        )
        where.caption(
            f"{r.passes:.2f} passes ({r.steps} steps); its steps took {r.seconds:.1f} s of the "
            f"processor{ending(r)}."
        )
    wall = max(cnn.wall, mlp.wall)
    st.markdown(
        f"**Test accuracy:** CNN {100 * cnn.test_accuracy:.1f} % after {cnn.passes:.2f} passes, "
        f"dense network {100 * mlp.test_accuracy:.1f} % after {mlp.passes:.2f} passes; both "
        f"trained during the same {wall:.1f} s, taking turns step by step. " + verdict(cnn, mlp)
    )
    if st.session_state.get(JOINED_KEY):
        st.caption("Another student started this race with the same settings; you watched it.")
    if view.prepare_seconds:
        st.caption(f"Making the moved copies took {view.prepare_seconds:.1f} s before training.")
    st.markdown(
        f"**On {MOVED_COUNT:,} moved test images** ({MOVED_TEST.describe()}): CNN "
        f"{100 * cnn.moved_accuracy:.1f} %, dense network {100 * mlp.moved_accuracy:.1f} %. "
        "Augmentation trains for exactly this; compare runs with it on and off below."
    )
    names = CLASS_NAMES[plan.dataset]
    scale = theme.text_scale()  # on a projector the matrix gets three fifths of the width
    left, right = st.columns([3, 2] if scale > 1 else 2, gap="large")
    with left:
        st.markdown("**Which classes get mixed up?** Rows: the true class; columns: the guess.")
        which = widget("train.confusion")
        matrix = view.results[which].confusion
        views.show(st, _figure("confusion", matrix, scale, tuple(names)))
        mistakes = [
            f"{names[t]} taken for {names[p]} ({n} times)" for t, p, n in most_confused(matrix)
        ]
        st.caption(f"The {which}'s biggest mix-ups: " + "; ".join(mistakes) + ".")
    with right:
        kernels = job.kernels
        st.markdown(
            f"**The {len(kernels)} kernels the CNN's first layer learned.** Red adds, blue "
            "subtracts: many became edge or blob detectors, much like the presets on "
            "the Convolution page."
        )
        views.show(st, _figure("kernels", kernels, scale))
    st.success(
        "Your trained CNN is now **your** model on the “Inside a CNN” page (only you see it; "
        "the shipped model stays as it was).",
        icon=":material/school:",
    )
    user = get_user_model()
    if user is not None:
        offer_model_file(user, plan, cnn)


def model_file_name(user: UserModel) -> str:
    """``my-cnn-fashion-mnist-16-filters-83pct.safetensors``: which run, at a glance."""
    filters = "-".join(map(str, user.config.channels))
    return f"my-cnn-{user.dataset}-{filters}-filters-{100 * user.test_accuracy:.0f}pct.safetensors"


def offer_model_file(user: UserModel, plan: Plan, cnn: ModelResult) -> None:
    """A download of this student's CNN as one file, and what to do with it later."""
    megabytes = file_size(user.config) / 10**6
    if not fits_upload(user.config):
        st.info(
            f"Your CNN would be a file of {megabytes:.0f} MB, more than the {MAX_MEGABYTES} MB "
            "“Inside a CNN” takes back, so it is not offered as a file: without pooling, "
            "its dense layer needs a weight for every one of the many numbers it gets. Train "
            "one with pooling or fewer filters to keep it.",
            icon=":material/save:",
        )
        return
    card = ModelCard(
        dataset=user.dataset,
        training_images=plan.subset,
        passes=float(cnn.passes),
        test_accuracy=user.test_accuracy,
        test_images=int(cnn.confusion.sum()),
    )
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.download_button(
        f"Download your CNN ({megabytes:.1f} MB)",
        data=lambda: to_bytes(user.model, user.config, card),  # made only when clicked
        file_name=model_file_name(user),
        mime="application/octet-stream",
        key="train.download_model",
        icon=":material/download:",
        on_click="ignore",
    )
    right.markdown(
        "**Keep your CNN for another day.** This one file holds its learned numbers and a "
        "card saying how it was built and what it reached. Later, open “Inside a CNN”, choose "
        "“A network you trained (upload its file)” and give it this file to look inside your "
        "network again. It holds numbers only, no program, so it is safe to open and to share."
    )


def run_log() -> None:
    """This session's runs, newest last, to compare settings."""
    runs = st.session_state.get(RUNS_KEY, [])
    if runs:
        st.subheader("Your runs")
        st.dataframe(pd.DataFrame(runs), hide_index=True, width="stretch")
