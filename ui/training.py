"""Train page pieces: the settings, the class's races on the page, and the results.

The race itself and the class-wide line of races are plain Python in :mod:`cnnviz.race`; this
module is the Streamlit side. One :class:`~cnnviz.race.Hall` per server (``st.cache_resource``)
runs the races in worker threads that never call Streamlit; each session remembers the race
it watches, and the page reads it from an ``st.fragment(run_every=...)`` that polls once a
second. Students with the same settings watch one race; a student whose race waits in line
watches the one running meanwhile.

Threads and cores. A worker calls ``torch.set_num_threads(TRAINING_THREADS)`` (1 by default).
That call is process-global in effect: it sets the calling thread's OpenMP team size and the
default every thread started later inherits, so after the first training every later page run
also does its torch work on one thread. On a shared CPU server that is what we want: measured
here with other work running, a training step with 2 threads took 7x longer than with 1,
because each threaded operation waits for a thread the OS has parked. Capacity comes from
running several races instead: ``(cores - 1) // TRAINING_THREADS`` at once (at least 1; one
core stays free to serve the pages). $CNNVIZ_TRAINING_THREADS and $CNNVIZ_TRAINING_SLOTS
override both.
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnviz.augmentation import AugmentConfig, preview
from cnnviz.confusion import most_confused
from cnnviz.data import CLASS_NAMES, DatasetError, data_root, dataset_available
from cnnviz.model import CNN, MLP, POOL_MODES, CNNConfig, count_parameters, layer_shapes
from cnnviz.model_file import (
    BLOCKS,
    FILTERS,
    KERNEL_SIZES,
    MAX_MEGABYTES,
    ModelCard,
    file_size,
    fits_upload,
    to_bytes,
)
from cnnviz.plotting import figure_png
from cnnviz.race import (  # the server's limits and the page's defaults live with the race
    CNN_NAME,
    DEFAULT_PLAN,
    MLP_NAME,
    MOVED_COUNT,
    MOVED_TEST,
    TRAINING_THREADS,
    Hall,
    ModelResult,
    Plan,
    Race,
    Splits,
    default_slots,
    read_splits,
    run_race,
    warm_up,
)
from cnnviz.race_figures import confusion_figure, kernels_figure
from ui import address, theme, views
from ui.datasets import TITLES, offer_download
from ui.user_model import UserModel, get_user_model, set_user_model

SUBSETS = (1_000, 5_000, 10_000, 20_000, 30_000, 60_000)  # training images to use
BUDGETS = (10, 20, 30, 45, 60)  # seconds the race trains
RATES = (0.0003, 0.001, 0.003, 0.01, 0.03)  # peak learning rates
EPOCHS = (1, 2, 3, 4, 5, 8, 10, 15, 20)  # passes over the training images
# The CNN's choices (FILTERS, KERNEL_SIZES, BLOCKS) live in cnnviz.model_file: a file a student
# downloads is read back only if it holds one of these networks.
POOL_TITLES = {"max": "Max", "avg": "Average", "none": "None"}
COLOURS = {CNN_NAME: "#1f6feb", MLP_NAME: "#e8710a"}
POLL_SECONDS = 1.0  # how often the page asks a running race for news
MAX_STEPS_KEY = "train.max_steps"  # session key: tests cap each model's steps with it
JOB_KEY, RUNS_KEY = "train.job", "train.runs"  # the race this session watches; its runs
STUDENT_KEY, JOINED_KEY, FULL_KEY = "train.student", "train.joined", "train.full"
PUBLISHED_KEY = "train.published"  # the race whose model this session has stored


# --- Streamlit: cached resources ---------------------------------------------------------------


def load_splits(dataset: str) -> Splits | None:
    """Both splits of ``dataset``, loaded once per server and shared read-only; when they are
    missing or damaged, None after saying so and offering the download."""
    if not dataset_available(dataset):
        offer_download(
            dataset, key="train.download", what="images", meanwhile="Training needs them."
        )
        return None
    try:
        return _load_splits(dataset, str(data_root()))
    except DatasetError as error:
        st.error(f"The {TITLES[dataset]} files are damaged: {error}", icon=":material/error:")
        offer_download(
            dataset, key="train.download", what="images", meanwhile="Training needs them."
        )
        return None


@st.cache_resource(max_entries=4, show_spinner="Loading the images (once for the whole class)…")
def _load_splits(dataset: str, root: str) -> Splits:
    return read_splits(dataset, root)


class Trainer:
    """What the hall's workers run: a race on the data the pages loaded. No Streamlit here."""

    def __init__(self) -> None:
        self.splits: dict[str, Splits] = {}  # dataset -> its splits (at most two, shared)

    def __call__(self, race: Race) -> None:
        torch.set_num_threads(TRAINING_THREADS)  # process-global: see the module docstring
        run_race(race.plan, self.splits[race.plan.dataset], race)


@st.cache_resource
def training_hall() -> tuple[Hall, Trainer]:
    """The one hall of races every session of this server shares, and what its workers run.

    Made when the Train page is first opened (the teacher's visit): torch's optimiser then
    pays its first-use cost (about 3 s here) in the background, not in a student's race.
    """
    threading.Thread(target=warm_up, daemon=True, name="race-warm-up").start()
    trainer = Trainer()
    return Hall(default_slots(), trainer), trainer


@st.cache_data(max_entries=32, show_spinner=False)
def preview_picture(dataset: str, augment: AugmentConfig, _images: np.ndarray) -> np.ndarray:
    """uint8 ``(H', W')``: the samples side by side, originals on top, moved copies below."""
    grid = preview(_images, augment, variants=3 if augment.active else 0, seed=7)  # (n, v, h, w)
    framed = np.pad(grid, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=128)  # grey frames
    rows = [np.concatenate(list(framed[:, v]), axis=1) for v in range(framed.shape[1])]
    picture = np.concatenate(rows, axis=0)  # (v * 30, n * 30)
    return np.repeat(np.repeat(picture, 3, 0), 3, 1)  # sharp pixels, readable on a projector


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(kind: str, key: str, _values: np.ndarray, scale: float, labels=()) -> bytes:
    """PNG of a race's confusion matrix or kernels (``key`` names the race and the network),
    its text ``scale`` times larger."""
    if kind == "confusion":  # drawn with more pixels on a projector, where it gets more room
        return figure_png(confusion_figure(_values, labels, text=scale), dpi=round(110 * scale))
    # On a projector, a square-ish grid, at least four a row: 16 kernels sit four a row, 32 six.
    columns = 8 if scale == 1 else max(4, math.ceil(math.sqrt(len(_values))))
    return figure_png(kernels_figure(_values, columns=columns))


# --- Streamlit: the settings -------------------------------------------------------------------


# Every setting: key -> (widget, the address parameter it reads its options and default from).
# Keys are also the URL parameters of a share link.
_D = DEFAULT_PLAN
# fmt: off
WIDGETS = {
    key: (kind, address.Choice(key, label, options, default, show, help=help_text))
    for key, kind, label, options, default, show, help_text in (
        ("train.dataset", "radio", "Dataset", tuple(TITLES), _D.dataset, TITLES.get, None),
        ("train.subset", "select_slider", "Training images", SUBSETS, _D.subset, "{:,}".format,
         "Drawn at random (always the same draw) from the 60,000."),
        ("train.blocks", "segmented_control", "Conv blocks (conv → ReLU → pool)", BLOCKS,
         len(_D.cnn.channels), None, "Each block has twice the filters of the one before."),
        ("train.filters", "select_slider", "Filters in the first block", FILTERS,
         _D.cnn.channels[0], None, "How many kernels the first layer learns."),
        ("train.kernel", "segmented_control", "Kernel size", KERNEL_SIZES, _D.cnn.kernel_size,
         "{0} × {0}".format, None),
        ("train.pool", "segmented_control", "Pooling (2 × 2)", POOL_MODES, _D.cnn.pool,
         POOL_TITLES.get, None),
        ("train.mode", "segmented_control", "Train for", ("time", "epochs"), "time",
         {"time": "A time budget", "epochs": "A number of passes"}.get, None),
        ("train.budget", "select_slider", "Seconds of training", BUDGETS, _D.budget,
         "{} s".format, None),
        ("train.epochs", "select_slider", "Passes over the images (epochs)", EPOCHS, _D.epochs,
         None, None),
        ("train.lr", "select_slider", "Peak learning rate", RATES, _D.lr, "{:g}".format,
         "How big a step the optimiser takes at its fastest: it warms up to this "
         "rate, then cools down to almost 0 by the end (a one-cycle schedule)."),
        ("train.match", "radio", "The two networks get", ("epochs", "time"), _D.mlp_match,
         {"epochs": "The same number of passes", "time": "The same time"}.get, None),
        ("train.x_axis", "segmented_control", "Curves against", ("passes", "seconds"), "passes",
         {"passes": "Passes (epochs)", "seconds": "Seconds"}.get, None),
        ("train.confusion", "segmented_control", "Confusion matrix of", (CNN_NAME, MLP_NAME),
         CNN_NAME, None, None),
    )
}
AUGMENT = (  # shift, rotation, flip
    address.Whole("train.shift", "Shift up to (pixels)", 0, 4, 0),
    address.Whole("train.rotate", "Rotate up to (degrees)", 0, 30, 0, 5),
    address.Switch("train.flip", "Mirror left-right",
                   help="Fine for clothes; a mirrored digit is not a digit."),
)
# fmt: on
PARAMS = (*(param for _, param in WIDGETS.values()), *AUGMENT)


def _widget(key: str, where=st):
    """The setting ``key`` from WIDGETS, remembered for the session and in the URL."""
    kind, param = WIDGETS[key]
    return address.choice(param, kind, where)


def settings() -> Plan | None:
    """The four groups of settings and the plan they describe (None: no CNN fits)."""
    d = DEFAULT_PLAN
    data, net, run = st.columns(3, gap="large")
    with data:
        st.subheader("1. The data")
        dataset = _widget("train.dataset")
        subset = _widget("train.subset")
    with net:
        st.subheader("2. The CNN")
        blocks = _widget("train.blocks")
        first = _widget("train.filters")
        kernel = _widget("train.kernel")
        pool = _widget("train.pool")
        cnn = _config(tuple(first * 2**i for i in range(blocks)), kernel, pool)
        if cnn is not None:
            describe_networks(cnn, d.mlp_hidden)
    with run:
        st.subheader("3. The training")
        timed = _widget("train.mode") == "time"
        budget = float(_widget("train.budget")) if timed else None
        epochs = d.epochs if timed else _widget("train.epochs")
        lr = _widget("train.lr")
        match = _widget("train.match")
    augment = augmentation_settings(dataset)
    if cnn is None:
        return None
    return replace(
        d,
        dataset=dataset,
        subset=subset,
        budget=budget,
        epochs=epochs,
        lr=lr,
        cnn=cnn,
        augment=augment,
        mlp_match=match,
        max_steps=st.session_state.get(MAX_STEPS_KEY),
    )


def _config(channels: tuple[int, ...], kernel: int, pool: str) -> CNNConfig | None:
    """The CNN config, or None (with a warning) when the picture shrinks to nothing."""
    try:
        return replace(DEFAULT_PLAN.cnn, channels=channels, kernel_size=kernel, pool=pool)
    except ValueError:
        st.warning(
            f"No CNN fits: the picture's side goes {_shrinking(channels, kernel, pool)}. Each "
            f"conv block makes it {kernel - 1} pixels smaller and each pooling halves it. Use "
            "fewer blocks, a smaller kernel or no pooling.",
            icon=":material/lightbulb:",
        )
        return None


def augmentation_settings(dataset: str) -> AugmentConfig:
    """Shift, rotation and flip controls, under their own heading."""
    st.subheader("4. Augmentation: move the training images a little")
    st.markdown(
        "[Augmentation](/glossary#augmentation) shows the network each training image a "
        "little moved, a fresh move every pass, so it cannot simply memorise pixels. It "
        "usually costs a little accuracy in a short training and pays off on moved pictures: "
        "the results below test both networks on moved test images too."
    )
    a, b, c = st.columns(3)
    shift, rotation = address.slider(AUGMENT[0], a), address.slider(AUGMENT[1], b)
    flip = address.switch(AUGMENT[2], c)
    if flip and dataset == "mnist":
        c.caption("A mirrored 2 is not a 2: flips teach the network nonsense about digits.")
    return AugmentConfig(shift=shift, rotation=float(rotation), flip=flip)


def _shrinking(channels: tuple[int, ...], kernel: int, pool: str) -> str:
    """``"28 → 22 → 11 → 5 → 2 → nothing"``: the picture's side through the blocks."""
    sides, side = ["28"], 28
    for _ in channels:
        side -= kernel - 1  # a valid convolution
        if side >= 1 and pool != "none":
            side //= 2
        if side < 1:
            return " → ".join([*sides, "nothing"])
        sides.append(str(side))
    return " → ".join(sides)


def describe_networks(cnn: CNNConfig, mlp_hidden: tuple[int, ...]) -> None:
    """Parameter counts of both networks and the CNN's shapes, updated as the settings change."""
    shapes = " → ".join(
        f"{name} {' × '.join(map(str, shape))}"
        for name, shape in layer_shapes(cnn)
        if name[:4] != "relu"
    )
    st.markdown(
        f"**{count_parameters(CNN(cnn)):,}** numbers to learn in the CNN, "
        f"**{count_parameters(MLP(mlp_hidden)):,}** in the dense network."
    )
    st.caption(
        f"CNN shapes: {shapes}. Dense network: 784 pixels → {' → '.join(map(str, mlp_hidden))} "
        "→ 10, every pixel wired to every neuron."
    )


def show_preview(plan: Plan, splits: Splits) -> None:
    """Six training images, each beside four moved copies."""
    labels = splits.train_labels
    picks = [int(np.flatnonzero(labels == c)[0]) for c in range(6)]  # six different classes
    picture = preview_picture(plan.dataset, plan.augment, splits.train_images[picks])
    if plan.augment.active:
        caption = (
            "Top row: the originals. Below: three copies as training might see them "
            f"({plan.augment.describe()}). Each pass over the data gets fresh moves."
        )
    else:
        caption = "Augmentation is off: training sees the images exactly as they are."
    views.show(st, picture, caption=caption, width=picture.shape[1])


# --- Streamlit: the race -----------------------------------------------------------------------


def student() -> str:
    """This session's name in the hall: random, kept for the session."""
    if STUDENT_KEY not in st.session_state:
        st.session_state[STUDENT_KEY] = uuid.uuid4().hex[:12]
    return st.session_state[STUDENT_KEY]


def current_job() -> Race | None:
    """The race this session watches (its own, or one it joined), if any."""
    job = st.session_state.get(JOB_KEY)
    return job if isinstance(job, Race) else None


def _start(plan: Plan, splits: Splits) -> None:
    hall, trainer = training_hall()
    trainer.splits[plan.dataset] = splits
    me, mine = student(), current_job()
    if mine is not None and mine.active:
        if mine.plan == plan:  # a double click
            return
        mine.leave(me)  # one race per student: the old one goes on only for its other watchers
    race, joined = hall.join(plan, me)
    st.session_state[FULL_KEY] = race is None
    if race is not None:
        st.session_state[JOB_KEY], st.session_state[JOINED_KEY] = race, joined


def _leave() -> None:
    job = current_job()
    if job is None:
        return
    job.leave(student())
    if job.watchers():  # it goes on for the others: this page lets go of it
        del st.session_state[JOB_KEY]
        st.toast("You left the race; it goes on for the students still watching it.")


def describe(plan: Plan) -> str:
    """One line naming a race's settings, as the widgets call them."""
    c = plan.cnn
    pool = "no pooling" if c.pool == "none" else f"{POOL_TITLES[c.pool].lower()} pooling"
    length = f"{plan.budget:.0f} s" if plan.budget is not None else f"{plan.epochs} passes"
    match = "the same passes" if plan.mlp_match == "epochs" else "the same time"
    moves = "" if not plan.augment.active else f", {plan.augment.describe()}"
    return (
        f"{TITLES[plan.dataset]}, {plan.subset:,} images, CNN {' → '.join(map(str, c.channels))} "
        f"filters {c.kernel_size} × {c.kernel_size} with {pool}, learning rate {plan.lr:g}, "
        f"{length}, dense network given {match}{moves}"
    )


def start_button(plan: Plan, splits: Splits) -> None:
    """The Train button (disabled while this session's race with these settings runs) and
    what the server is doing."""
    job = current_job()
    busy = job is not None and job.active and job.plan == plan
    hall, _ = training_hall()
    running, waiting = hall.counts()
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button(
        "Train both networks",
        key="train.start",
        type="primary",
        disabled=busy,
        icon=":material/play_arrow:",
        on_click=_start,
        args=(plan, splits),
    )
    right.caption(
        f"This server trains {_races(hall.slots)} at a time (now {running} training, "
        f"{waiting} waiting); a race trains for at most {plan.cap:.0f} s. Students who press "
        "Train with the same settings watch one race together."
    )
    if st.session_state.get(FULL_KEY) and job is None:
        st.warning(
            f"The line is full: {hall.max_waiting} races are waiting already. Watch the race "
            "training now, and press Train again in a minute.",
            icon=":material/group:",
        )
        watch_running(hall)


def _races(n: int) -> str:
    return f"{n} race{'s' if n != 1 else ''}"


def _duration(seconds: float) -> str:
    """``"40 s"`` or ``"3 min"``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def waiting_text(running: int, waiting: int, position: int, starts_in: float | None) -> str:
    """``"1 race is training now and 2 more wait; yours is number 2 in line and starts in
    about 40 s."``"""
    verb = "is" if running == 1 else "are"
    others = waiting - 1
    more = f" and {others} more wait{'s' if others == 1 else ''}" if others > 0 else ""
    when = ""
    if starts_in is not None:
        soon = starts_in < 5  # the running race is testing, or a little over its time
        when = (
            " and starts in a few seconds"
            if soon
            else f" and starts in about {_duration(starts_in)}"
        )
    return (
        f"{_races(running).capitalize()} {verb} training now{more}; yours is number "
        f"**{position}** in line{when}. Keep this page open."
    )


def progress_text(view) -> tuple[float, str]:
    """The race's share done and a line saying where each network is."""
    steps = view.steps
    if not steps:
        return 0.0, view.phase
    share = min(done / total for done, total in steps.values() if total)
    where = ", ".join(f"{name} step {done} of {total}" for name, (done, total) in steps.items())
    return min(share, 1.0), f"{view.phase}: {where} ({view.elapsed:.0f} s)"


def live(job: Race) -> None:
    """Where this session's race stands, the Stop button and the live curves; polls while
    the race waits or runs. While it waits, the race training now is shown instead."""
    polling = job.active
    me = student()

    @st.fragment(run_every=POLL_SECONDS if polling else None)
    def panel() -> None:
        job.watch(me)
        view = job.view()
        if polling and not job.active:
            st.rerun()  # finished: redraw the whole page with the results, stop polling
        hall, _ = training_hall()
        if view.status == "waiting":
            outlook = hall.outlook(job)
            if outlook.position:
                st.info(waiting_text(*outlook), icon=":material/hourglass_top:")
        elif view.status == "running":
            share, text = progress_text(view)
            st.progress(share, text=text)
            if st.session_state.get(JOINED_KEY) or view.watchers > 1:
                st.caption(
                    f"{view.watchers} student{'s' if view.watchers != 1 else ''} watching this "
                    "race: everyone who pressed Train with these settings."
                )
        if view.status in ("waiting", "running"):
            alone = view.watchers <= 1
            st.button(
                "Stop" if alone else "Leave this race",
                key="train.stop",
                icon=":material/stop:",
                on_click=_leave,
                help=None if alone else "It goes on for the others watching it.",
            )
        if view.error:
            st.error(f"The training failed: {view.error}", icon=":material/error:")
        elif view.status == "stopped":
            st.info("Stopped. Change the settings if you like and train again.")
        if view.status == "waiting":
            watch_running(hall)
        else:
            curves(view.points)

    panel()


def watch_running(hall: Hall) -> None:
    """The race training now (the oldest, when several do), with its settings and curves."""
    now = hall.running()
    if not now:
        return
    view = now[0].view()
    st.markdown(f"**Meanwhile, watch the race training now:** {describe(now[0].plan)}.")
    share, text = progress_text(view)
    st.progress(share, text=text)
    curves(view.points)


def _line_spec(x: str, y: str, label: str) -> dict:
    """A Vega-Lite line chart of ``y`` against ``x``, one coloured line per network."""
    return {
        "height": 300,
        "mark": {"type": "line", "strokeWidth": 3},
        "encoding": {
            "x": {"field": x, "type": "quantitative", "title": AXES[x]},
            "y": {"field": y, "type": "quantitative", "title": label},
            "color": {
                "field": "model",
                "type": "nominal",
                "scale": {"domain": list(COLOURS), "range": list(COLOURS.values())},
                "legend": {"orient": "top", "title": None},
            },
        },
    }


AXES = {
    "passes": "passes over the training images (epochs)",
    "seconds": "seconds into the race (both networks share them)",
}


def curves(points: list[dict]) -> None:
    """Loss and training accuracy of both networks, against passes or seconds.

    Every watcher's page redraws these once a second, so the Vega-Lite specification is
    written out here: Altair's would cost about 13 ms a chart to build and check.
    """
    if not points:
        return
    frame = pd.DataFrame(points)
    x = _widget("train.x_axis")
    left, right = st.columns(2)
    for where, y, label in (
        (left, "loss", "loss (lower is better)"),
        (right, "accuracy", "training accuracy (%)"),
    ):
        where.vega_lite_chart(frame, _line_spec(x, y, label), width="stretch")
    latest = frame.groupby("model").last()
    st.caption(
        "Recent training batches (smoothed): "
        + "; ".join(
            f"{n} loss {latest.loc[n, 'loss']:.3f}, accuracy {latest.loc[n, 'accuracy']:.1f} % "
            f"after {latest.loc[n, 'passes']:.2f} passes, {latest.loc[n, 'seconds']:.1f} s "
            "into the race"
            for n in COLOURS
            if n in latest.index
        )
        + "."
    )


# --- Streamlit: the results --------------------------------------------------------------------


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


def results(job: Race) -> None:
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
        which = _widget("train.confusion")
        matrix = view.results[which].confusion
        views.show(st, _figure("confusion", f"{job.id}-{which}", matrix, scale, tuple(names)))
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
        views.show(st, _figure("kernels", str(job.id), kernels, scale))
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
