"""Train, section 5: the hall of races every session shares, the Train button and the live
curves (threads and cores: see :mod:`pages.train`)."""

from __future__ import annotations

import threading
import uuid

import pandas as pd
import streamlit as st
import torch

from cnnviz.race import (  # the server's limits and the page's defaults live with the race
    TRAINING_THREADS,
    Hall,
    Plan,
    Race,
    Splits,
    default_slots,
    run_race,
    warm_up,
)
from pages.train.settings import (
    COLOURS,
    FULL_KEY,
    JOB_KEY,
    JOINED_KEY,
    POLL_SECONDS,
    POOL_TITLES,
    STUDENT_KEY,
    widget,
)
from ui import cache
from ui.datasets import TITLES


class Trainer:
    """What the hall's workers run: a race on the data the pages loaded. No Streamlit here."""

    def __init__(self) -> None:
        self.splits: dict[str, Splits] = {}  # dataset -> its splits (at most two, shared)

    def __call__(self, race: Race) -> None:
        torch.set_num_threads(TRAINING_THREADS)  # process-global: see the module docstring
        run_race(race.plan, self.splits[race.plan.dataset], race)


@cache.resource()
def training_hall() -> tuple[Hall, Trainer]:
    """The one hall of races every session of this server shares, and what its workers run.

    Made when the Train page is first opened (the teacher's visit): torch's optimiser then
    pays its first-use cost (about 3 s here) in the background, not in a student's race.
    """
    threading.Thread(target=warm_up, daemon=True, name="race-warm-up").start()
    trainer = Trainer()
    return Hall(default_slots(), trainer), trainer


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
    x = widget("train.x_axis")
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
