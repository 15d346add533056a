"""The benchmark runs end to end and prints its tables; it never asserts on speed."""

import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz import bench

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick_run() -> str:
    """The output of ``python -m cnnviz.bench --quick``, run once for this module."""
    done = subprocess.run(
        [sys.executable, "-m", "cnnviz.bench", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_run_prints_the_ratio_tables(quick_run):
    """The tables carry every ratio the issue asks for, measured in the same run."""
    for header in ("ours/cv2", "ours/cv2_hwc", "torch/ours", "loop/ours", "torch_pool/ours_pool"):
        assert header in quick_run


def test_quick_run_covers_every_case(quick_run):
    """Gray and RGB, kernels 3, 5, 11 at strides 1 and 2, max and avg 2x2 and 3x3 pooling."""
    lines = [line.split() for line in quick_run.splitlines()]
    conv = {(ln[1], ln[2], ln[3]) for ln in lines if len(ln) == 11 and ln[0].isdigit()}
    assert conv == {(image, k, s) for image in ("gray", "RGB") for k in ("3", "5", "11")
                    for s in ("1", "2")}  # fmt: skip
    pools = {(ln[1], ln[2], ln[3]) for ln in lines if len(ln) == 8 and ln[0].isdigit()}
    assert pools == {(image, mode, w) for image in ("gray", "RGB") for mode in ("max", "avg")
                     for w in ("2x2", "3x3")}  # fmt: skip


def test_quick_run_names_torch_threads_and_judges_each_target(quick_run):
    """The header states torch's thread count; each of the three targets gets PASS or MISS."""
    assert "threads, its default" in quick_run
    verdicts = [line for line in quick_run.splitlines() if line.startswith(("PASS", "MISS"))]
    assert len(verdicts) == 3


def test_table_aligns_columns_and_marks_missing_values():
    """Numbers get two decimals, None becomes '-', and every line has the same width."""
    text = bench.table([{"size": 64, "ms": 1.234, "ratio": None}, {"size": 2048, "ms": 10.0,
                                                                    "ratio": 2.5}])  # fmt: skip
    lines = text.splitlines()
    assert lines[0].split() == ["size", "ms", "ratio"]
    assert lines[1].split() == ["64", "1.23", "-"]
    assert len({len(line) for line in lines}) == 1


def test_verdicts_pass_and_miss_on_the_worst_case():
    """Each target is judged on its worst case, which the line names."""
    conv = [
        {"size": 64, "image": "gray", "k": 3, "stride": 1, "ours/cv2": 1.2, "ours/cv2_hwc": 1.4,
         "torch/ours": 9.0},
        {"size": 64, "image": "RGB", "k": 11, "stride": 2, "ours/cv2": None,
         "ours/cv2_hwc": None, "torch/ours": 3.0},
    ]  # fmt: skip
    pools = [{"size": 64, "image": "RGB", "pool": "avg", "window": "3x3", "stride": 2,
              "torch_pool/ours_pool": 1.1}]  # fmt: skip
    cv2_line, note, torch_line, pool_line = bench.verdicts(conv, pools)
    assert cv2_line.startswith("PASS") and "1.20" in cv2_line
    assert note.startswith("note") and "1.40" in note
    assert torch_line.startswith("MISS") and "64 RGB k=11 stride 2" in torch_line
    assert pool_line.startswith("PASS") and "avg 3x3" in pool_line


def test_repeats_must_be_positive():
    """--repeats 0 is refused with a message instead of a median of nothing."""
    with pytest.raises(SystemExit):
        bench.main(["--repeats", "0"])


def test_stacks_shares_the_samples_by_page_and_by_line(tmp_path):
    """bench/stacks.py reads py-spy's raw format: the page is the script under Page.run, a
    page's calls are the frames below its line, and the rest is one row."""
    sys.path.insert(0, str(ROOT / "bench"))
    import stacks

    run = "Thread.run (threading.py:982);<module> (app.py:22);Page.run (navigation/page.py:574)"
    raw = tmp_path / "server-1.txt"
    raw.write_text(
        f"{run};<module> (pooling.py:26);question (pooling/sections.py:456);ask (ui/quiz.py:9) 6\n"
        f"{run};<module> (pooling.py:31);repeated (pooling/sections.py:300) 2\n"
        f"{run};<module> (convolution.py:40) 1\n"
        "Thread.run (threading.py:982);select (selectors.py:468) 1\n"
    )
    found = stacks.read(raw)
    assert [count for _, count in found] == [6, 2, 1, 1]
    lines = stacks.summary(found, "pooling", depth=1).splitlines()
    assert lines[:4] == [
        "10 samples",
        "      8  80.0%  pooling",
        "      1  10.0%  convolution",
        "      1  10.0%  (outside the pages)",
    ]
    assert lines[5:] == [
        "      6  75.0%  question (pooling/sections.py:456)",
        "      2  25.0%  repeated (pooling/sections.py:300)",
    ]
