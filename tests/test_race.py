"""The race (two networks taking turns) and the class-wide hall of races, without Streamlit."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from cnnviz.augmentation import AugmentConfig
from cnnviz.model import CNNConfig
from cnnviz.race import (
    CNN_NAME,
    LINE_SECONDS,
    MIN_SHARE_SECONDS,
    MLP_NAME,
    Hall,
    Plan,
    Race,
    Splits,
    fair_share,
    one_cycle,
    plan_steps,
    run_race,
)

TINY = Plan(
    subset=600, budget=None, epochs=2, batch_size=100, cnn=CNNConfig(channels=(4,), dense=16)
)


def tiny_splits(n: int = 600, seed: int = 0) -> Splits:
    """Synthetic data in the Splits shape: class 0 a vertical bar, class 1 a horizontal one."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    labels = np.arange(n) % 2
    images[labels == 0, 4:24, 12:16] = 255
    images[labels == 1, 12:16, 4:24] = 255
    return Splits(images, labels, images[:200], labels[:200], images[:100])


@pytest.fixture(autouse=True)
def one_thread():
    """Train on one torch thread, as the page does (two fight each other on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def race(plan: Plan) -> Race:
    """Run ``plan`` to the end on the tiny data."""
    result = Race(plan, abandon=None)
    result.begin()
    run_race(plan, tiny_splits(), result)
    return result


@pytest.mark.parametrize("moves", [AugmentConfig(), AugmentConfig(shift=2)], ids=["plain", "moved"])
def test_equal_passes_take_turns_step_by_step(moves):
    """Same passes: both take the same 12 steps, one each in turn, so both curves grow at once."""
    done = race(replace(TINY, augment=moves))
    view = done.view()
    assert view.status == "done" and view.error is None
    cnn, mlp = view.results[CNN_NAME], view.results[MLP_NAME]
    assert cnn.steps == mlp.steps == cnn.planned == 12 and cnn.passes == mlp.passes == 2.0
    order = [p["model"] for p in view.points]
    assert order == [CNN_NAME, MLP_NAME] * 12  # taking turns, from the first step to the last
    assert cnn.ended == mlp.ended == "planned"
    assert cnn.confusion.shape == (10, 10) and cnn.confusion.sum() == 200
    assert done.kernels.shape == (4, 1, 3, 3) and done.model is not None
    assert (view.prepare_seconds > 0) == moves.active


def test_equal_time_gives_both_the_same_wall_clock_seconds():
    """Same time: the dense network takes more, cheaper steps in the same seconds; both
    curves start together and both networks end within 10 % of each other's wall time (the
    processor seconds each got are printed by bench/train_race.py: timing, not a test)."""
    view = race(replace(TINY, budget=3.0, mlp_match="time")).view()
    assert view.status == "done"
    cnn, mlp = view.results[CNN_NAME], view.results[MLP_NAME]
    assert mlp.steps > cnn.steps  # a dense step is cheaper
    assert cnn.ended == mlp.ended == "planned"  # each used its seconds, the schedule cooled
    assert abs(cnn.wall - mlp.wall) < 0.1 * max(cnn.wall, mlp.wall)
    first = [p["model"] for p in view.points[:4]]
    assert set(first) == {CNN_NAME, MLP_NAME}  # both curves grow from the start


def test_the_time_schedule_is_torchs_one_cycle_by_share():
    """one_cycle(share) gives the learning rate and beta torch's OneCycleLR gives after that
    share of its steps (torch is the oracle)."""
    total, peak = 10_001, 0.003
    optimizer = torch.optim.AdamW(torch.nn.Linear(1, 1).parameters(), lr=peak)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, peak, total_steps=total)
    for k in range(total - 1):
        if k % 250 == 0:
            lr, beta = one_cycle(k / (total - 1), peak)
            group = optimizer.param_groups[0]
            assert lr == pytest.approx(group["lr"], rel=1e-2, abs=1e-8), k
            assert beta == pytest.approx(group["betas"][0], rel=1e-3), k
        optimizer.step()
        schedule.step()
    assert one_cycle(1.0, peak)[0] == pytest.approx(peak / 25 / 1e4)


def test_plan_steps_shares_a_budget():
    """A 10 s budget, 0.09 s and 0.01 s a step: equal passes 88 steps each; equal time each
    gets half the usable seconds; without a budget the CNN makes its passes."""
    plan = Plan(budget=10.0)
    assert plan_steps(plan, 235, 0.09, 0.01, 0.0) == (88, 88)
    assert plan_steps(replace(plan, mlp_match="time"), 235, 0.09, 0.01, 0.0) == (48, 440)
    assert plan_steps(Plan(budget=None, epochs=2), 235, 0.09, 0.01, 0.0) == (470, 470)
    timed = plan_steps(Plan(budget=None, epochs=2, mlp_match="time"), 235, 0.09, 0.01, 0.0)
    assert timed == (470, 4230)
    assert plan_steps(replace(plan, max_steps=3), 235, 0.09, 0.01, 0.0) == (3, 3)


def test_a_race_stops_when_asked():
    """A stop before training ends the race as "stopped", with no results."""
    stopped = Race(TINY, abandon=None)
    stopped.stop()
    run_race(TINY, tiny_splits(), stopped)
    assert stopped.view().status == "stopped" and stopped.view().results == {}


def test_the_last_watcher_leaving_ends_a_race():
    """Two students watch; one leaving keeps it going, the second leaving stops it."""
    shared = Race(TINY)
    shared.watch("ann")
    shared.watch("bob")
    shared.leave("ann")
    assert not shared.should_stop() and shared.watchers() == 1
    shared.leave("bob")
    assert shared.should_stop()


def test_a_race_nobody_looks_at_is_abandoned():
    """A watcher who stops looking for ``abandon`` seconds no longer keeps it alive."""
    quiet = Race(TINY, abandon=0.05)
    quiet.watch("ann")
    assert not quiet.should_stop()
    time.sleep(0.1)
    assert quiet.should_stop() and quiet.watchers() == 0


class Controlled:
    """A stand-in trainer for the hall: each race runs until the test lets it finish."""

    def __init__(self) -> None:
        self.release: dict[str, threading.Event] = {}
        self.started: list[Plan] = []

    def __call__(self, race: Race) -> None:
        self.started.append(race.plan)
        gate = self.release.setdefault(race.id, threading.Event())
        while not gate.wait(0.01):
            if race.should_stop():
                return race.end("stopped")
        if race.plan.dataset == "broken":
            raise RuntimeError("no such file /srv/data/x.gz")
        race.end("done")

    def finish(self, race: Race) -> None:
        self.release.setdefault(race.id, threading.Event()).set()


def until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def plans(n: int) -> list[Plan]:
    return [Plan(subset=1_000 * (i + 1)) for i in range(n)]


def test_the_same_settings_join_the_same_race():
    """A second student with the same settings joins the running race; other settings wait."""
    run = Controlled()
    hall = Hall(slots=1, run=run)
    first, joined = hall.join(TINY, "ann")
    assert not joined
    until(lambda: hall.counts() == (1, 0))
    again, joined = hall.join(TINY, "bob")
    assert joined and again is first and first.watchers() == 2
    other, joined = hall.join(replace(TINY, lr=0.01), "cat")
    assert not joined and hall.counts() == (1, 1)
    outlook = hall.outlook(other)
    assert outlook.position == 1 and outlook.running == 1 and outlook.starts_in > 0
    assert hall.running() == [first]
    run.finish(first)
    until(lambda: hall.running() == [other])
    assert first.view().status == "done"
    seen, joined = hall.join(TINY, "dan")  # finished: shown again instead of trained again
    assert joined and seen is first and run.started == [TINY, replace(TINY, lr=0.01)]
    run.finish(other)


def test_the_line_is_first_come_first_served_and_bounded():
    """One slot: the others wait in order with growing estimates; a full line says so."""
    run = Controlled()
    hall = Hall(slots=1, run=run, max_waiting=3)
    races = [hall.join(plans(4)[0], "s0")[0]]
    until(lambda: hall.counts() == (1, 0))
    races += [hall.join(plan, f"s{i}")[0] for i, plan in enumerate(plans(4)[1:], start=1)]
    assert hall.counts() == (1, 3)
    outlooks = [hall.outlook(r) for r in races]
    assert [o.position for o in outlooks] == [0, 1, 2, 3]
    starts = [o.starts_in for o in outlooks[1:]]
    assert starts == sorted(starts) and starts[0] < starts[1]
    assert hall.join(Plan(subset=99), "late") == (None, False)
    races[2].leave("s2")  # its only watcher left: it leaves the line
    assert hall.counts() == (1, 2) and races[2].view().status == "stopped"
    for r in races:
        run.finish(r)
    until(lambda: hall.counts() == (0, 0))
    assert [r.view().status for r in races] == ["done", "done", "stopped", "done"]


def test_two_slots_run_two_races_at_once():
    """With two slots two students' races train together."""
    run = Controlled()
    hall = Hall(slots=2, run=run)
    a, _ = hall.join(plans(2)[0], "ann")
    b, _ = hall.join(plans(2)[1], "bob")
    until(lambda: hall.counts() == (2, 0))
    assert {r.view().status for r in (a, b)} == {"running"}
    run.finish(a)
    run.finish(b)
    until(lambda: hall.counts() == (0, 0))


def test_finished_races_are_kept_up_to_a_bound():
    """Only the newest ``keep`` finished races stay to be joined."""
    run = Controlled()
    hall = Hall(slots=1, run=run, keep=2)
    done = []
    for i, plan in enumerate(plans(3)):
        race_, _ = hall.join(plan, f"s{i}")
        run.finish(race_)
        until(lambda r=race_: r.view().status == "done")
        done.append(race_)
    until(lambda: hall.counts() == (0, 0))
    assert hall.join(plans(3)[2], "x")[0] is done[2]
    oldest, joined = hall.join(plans(3)[0], "y")  # evicted: a new race
    assert not joined and oldest is not done[0]
    run.finish(oldest)


def test_a_failing_race_says_why_without_the_servers_folders():
    """An exception in training ends that race as failed with a message; the hall goes on."""
    run = Controlled()
    hall = Hall(slots=1, run=run)
    broken, _ = hall.join(Plan(dataset="broken"), "ann")
    run.finish(broken)
    until(lambda: broken.view().status == "failed")
    assert broken.view().error == "RuntimeError: no such file x.gz"
    fine, _ = hall.join(TINY, "bob")
    run.finish(fine)
    until(lambda: fine.view().status == "done")


def test_a_crowded_line_shares_its_time():
    """With others waiting a race may train the line's time divided among the races in line,
    never less than the floor and never longer than its own budget."""
    long = Plan(budget=120.0)
    assert fair_share(long, behind=0, slots=1) is None  # nobody waits: its own time
    assert fair_share(long, behind=1, slots=1) == LINE_SECONDS / 2
    assert fair_share(long, behind=3, slots=2) == 2 * LINE_SECONDS / 4
    assert fair_share(long, behind=29, slots=1) == MIN_SHARE_SECONDS
    assert fair_share(Plan(budget=10.0), behind=1, slots=1) is None  # already short
    assert fair_share(Plan(budget=None, cap=120.0), behind=2, slots=1) == LINE_SECONDS / 3


def test_the_hall_gives_a_race_its_share_when_others_wait():
    """The first race, alone, keeps its time; one started with three behind gets a quarter of
    the line's time, and the estimate of a later place counts the shares."""
    run = Controlled()
    hall = Hall(slots=1, run=run)
    long = [Plan(subset=1_000 * (i + 1), budget=120.0) for i in range(5)]
    first, _ = hall.join(long[0], "s0")
    until(lambda: hall.counts() == (1, 0))
    assert first.share is None
    waiting = [hall.join(plan, f"s{i}")[0] for i, plan in enumerate(long[1:], start=1)]
    last = hall.outlook(waiting[-1])
    assert last.position == 4
    # the running race may still train 120 s; the three ahead share the line's time
    assert last.starts_in < 120.0 + 3 * (LINE_SECONDS / 2 + 10.0)
    run.finish(first)
    until(lambda: hall.running() == [waiting[0]])
    assert waiting[0].share == LINE_SECONDS / 4  # three more wait behind it
    for race_ in waiting:
        run.finish(race_)
    until(lambda: hall.counts() == (0, 0))
    assert waiting[-1].share is None  # the last in line had the trainer to itself


def test_a_shared_race_trains_for_its_share():
    """A race of 500 passes given a share of one second trains by time: far fewer steps."""
    passes = replace(TINY, epochs=500)  # 3,000 steps of 100 images: many seconds
    shortened = Race(passes, abandon=None)
    shortened.share = 1.0
    shortened.begin()
    run_race(passes, tiny_splits(), shortened)
    view = shortened.view()
    assert view.status == "done" and set(view.results) == {CNN_NAME, MLP_NAME}
    for result in view.results.values():
        assert result.steps < 500 * 6 and result.planned < 500 * 6
