"""The Train page's race on the real data: the CNN with the page defaults against the dense network.

    CNNVIZ_DATA_DIR=../shared/data python bench/train_race.py            # about 5 minutes
    CNNVIZ_DATA_DIR=../shared/data python bench/train_race.py --quick    # the default races only

A benchmark, not a test: it prints test accuracy against wall time (time budgets) and against
passes over the data (epochs), for both networks taking turns in one race, with the processor
and wall seconds each got and the machine's load beside it; and how far apart the two
networks' wall times are in a "same time" race. It uses the page's own code
(``cnnviz.race.run_race``) and defaults (``cnnviz.race.DEFAULT_PLAN``), so it measures what a
student gets by pressing Train.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from cnnviz.augmentation import AugmentConfig  # noqa: E402
from cnnviz.data import dataset_available  # noqa: E402
from cnnviz.race import (  # noqa: E402
    CNN_NAME,
    DEFAULT_PLAN,
    MLP_NAME,
    TRAINING_THREADS,
    Plan,
    Race,
    default_slots,
    read_splits,
    run_race,
)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def race(plan: Plan, splits, label: str) -> dict:
    """Run one race, print one line per network, return the results."""
    job = Race(plan, abandon=None)  # no page polls it: only a stop would end it
    before = load()
    job.begin()
    run_race(plan, splits, job)
    view = job.view()
    if view.status != "done":
        raise SystemExit(f"{label}: the race ended {view.status}: {view.error}")
    for name in (CNN_NAME, MLP_NAME):
        r = view.results[name]
        print(
            f"{label:<28} {name:<14} test {100 * r.test_accuracy:5.1f} %  moved "
            f"{100 * r.moved_accuracy:5.1f} %  {r.passes:5.2f} passes  processor "
            f"{r.seconds:5.1f} s  wall {r.wall:5.1f} s  "
            f"({r.ended}, {r.steps}/{r.planned} steps; {before}, after {load()})",
            flush=True,
        )
    if view.prepare_seconds:
        print(f"{'':<28} moved copies made in {view.prepare_seconds:.1f} s (not counted)")
    return view.results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the default race")
    parser.add_argument("--dataset", default=DEFAULT_PLAN.dataset)
    parser.add_argument(
        "--threads",
        type=int,
        default=TRAINING_THREADS,
        help="torch threads (the page's training threads use TRAINING_THREADS)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not dataset_available(args.dataset):
        print(f"{args.dataset} not found: set CNNVIZ_DATA_DIR to the folder that holds it")
        return 1
    plan = replace(DEFAULT_PLAN, dataset=args.dataset)
    splits = read_splits(args.dataset)
    print(
        f"{os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} "
        f"threads, {default_slots()} training slot(s); {load()}"
    )
    print(
        f"defaults: {plan.subset:,} images, {plan.budget} s budget, batch {plan.batch_size}, "
        f"peak lr {plan.lr}, CNN {plan.cnn.channels} k{plan.cnn.kernel_size} {plan.cnn.pool} "
        f"pool dense {plan.cnn.dense} dropout {plan.cnn.dropout}, MLP {plan.mlp_hidden}\n"
    )
    results = race(plan, splits, "defaults, equal passes")
    cnn, mlp = results[CNN_NAME], results[MLP_NAME]
    print(
        f"\n=> CNN {100 * cnn.test_accuracy:.1f} %, dense network {100 * mlp.test_accuracy:.1f} % "
        f"after the same {cnn.passes:.2f} passes in one {plan.budget:.0f} s race; one pass costs "
        f"the CNN {cnn.seconds / mlp.seconds:.1f}x the dense network's processor time.\n"
    )
    timed = race(replace(plan, mlp_match="time"), splits, "defaults, equal time")
    cnn, mlp = timed[CNN_NAME], timed[MLP_NAME]
    walls = abs(cnn.wall - mlp.wall) / max(cnn.wall, mlp.wall)
    shares = abs(cnn.seconds - mlp.seconds) / max(cnn.seconds, mlp.seconds)
    print(
        f"\n=> the same time: wall times {cnn.wall:.1f} s and {mlp.wall:.1f} s differ by "
        f"{100 * walls:.1f} % (issue 15: under 10 %); processor {cnn.seconds:.1f} s and "
        f"{mlp.seconds:.1f} s differ by {100 * shares:.1f} %.\n"
    )
    if args.quick:
        return 0
    print("\nAccuracy against wall time (time budgets)")
    for budget in (10.0, 20.0, 45.0):
        race(replace(plan, budget=budget), splits, f"budget {budget:.0f} s")
    print("\nAccuracy against passes (epochs, no time budget)")
    for epochs in (1, 2, 3):
        race(replace(plan, budget=None, epochs=epochs), splits, f"{epochs} pass(es)")
    print("\nAugmentation (shift 2 px, rotate 10 deg, flip) with the default budget")
    moves = AugmentConfig(shift=2, rotation=10, flip=args.dataset == "fashion-mnist")
    race(replace(plan, augment=moves), splits, "augmented")
    print(f"\ndone; {load()} at {time.strftime('%H:%M:%S')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
