"""Server-side rerun time of the Convolution and Inside a CNN pages.

    python bench/page_rerun.py [--repeats 7] [--only convolution|inside]

Each control change is one rerun through AppTest (the same script run a browser triggers,
without the network). Prints medians in ms and, as the machine is shared and noisy, each
median as a ratio to a Home-page rerun measured in the same run.

Convolution: a 1024 px colour photo, one control changed per rerun.
Inside a CNN (needs the test set: $CNNVIZ_DATA_DIR): a new test picture per rerun, another map
of the same picture, and "top patches cold": opening "Which test pictures excite this map
most?" right after every Streamlit cache was cleared (the first student after a restart), for
the stored favourites of the shipped network and, to compare, for a search of the test set
(the same network with its stored file taken away).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
os.environ["CNNVIZ_WARM_UP"] = "off"  # AppTest runs no server to warm (ui/warm.py)
sys.path.insert(0, str(ROOT))

from cnnviz import KERNELS  # noqa: E402
from cnnviz.samples import load_sample  # noqa: E402
from ui import cache  # noqa: E402

APP = str(ROOT / "app.py")
INSIDE = "pages/inside_cnn.py"
SETTING_MS = 75  # the targets ("Instant and linked", cheap server renders)
NEW_PICTURE_MS = 150
TOP_PATCHES_COLD_MS = 2000


def photo_1024() -> bytes:
    """The astronaut sample blown up to 1024 x 1024, as a PNG upload."""
    pixels = np.moveaxis(np.asarray(load_sample("astronaut", size=512)), 0, -1)
    image = Image.fromarray((pixels * 255).astype(np.uint8)).resize((1024, 1024))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def row(name: str, median: float, reference: float, target: float | None = None) -> None:
    """One line of a table: the median, its ratio to the reference, the target and verdict."""
    verdict = ""
    if target is not None:
        verdict = f"  <= {target:.0f} ms {'PASS' if median <= target else 'MISS'}"
    print(f"{name:<52}{median:>10.0f}{median / reference:>14.1f}{verdict}")


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"{'change':<52}{'median ms':>10}{'x home rerun':>14}")


def home_rerun(repeats: int) -> float:
    """Median ms of a Home-page rerun: the reference every ratio divides by."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return statistics.median(timed(at.run) for _ in range(repeats))


def convolution(repeats: int, reference: float) -> None:
    """One control of the Convolution page per rerun, on a 1024 x 1024 RGB photo."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/convolution.py").run()
    at.sidebar.radio(key="input.source").set_value("upload").run()
    at.file_uploader(key="uploader.input").set_value(("photo.png", photo_1024(), "image/png")).run()
    at.sidebar.select_slider(key="input.size").set_value("full").run()
    assert not at.exception, at.exception
    changes = {  # a class switches back and forth: the second time is a cache hit
        "stride 1 <-> 2": lambda i: at.number_input(key="conv.stride_h").set_value(1 + i % 2),
        "preset (4 in turn)": lambda i: at.selectbox(key="conv.preset").set_value(
            ["sobel_x", "gaussian_5", "sharpen", "emboss"][i % 4]
        ),
        "padding valid <-> same": lambda i: at.segmented_control(key="conv.pad").set_value(
            ["same", "valid"][i % 2]
        ),
    }
    header(f"Convolution page, 1024 x 1024 RGB photo, {repeats} reruns each")
    row("home page rerun (ref)", reference, reference)
    for name, change in changes.items():
        samples = [timed(lambda i=i, c=change: c(i).run()) for i in range(repeats)]
        row(name, statistics.median(samples), reference, SETTING_MS)
    fresh = [k for k in KERNELS if k not in ("sobel_x", "gaussian_5", "sharpen", "emboss")]
    samples = [timed(at.selectbox(key="conv.preset").set_value(k).run) for k in fresh]
    row(f"preset never seen before ({len(fresh)})", statistics.median(samples), reference)
    assert not at.exception, at.exception
    print("(Pointing at a pixel, Play and the arrow keys run in the browser: no rerun to time.)")


def inside_page() -> AppTest:
    """The Inside a CNN page as a new student opens it (the shipped clothes network)."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page(INSIDE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def top_patches_cold(layer: str, repeats: int) -> float:
    """Median ms of the rerun that opens the favourite-patches box for ``layer``, each time
    on a page opened right after every Streamlit cache was cleared."""
    samples = []
    for _ in range(repeats):
        cache.clear()
        at = inside_page()
        at.selectbox(key="inside.layer").set_value(layer).run()
        at.session_state["inside.open.top"] = True
        samples.append(timed(at.run))
        assert not at.exception, [e.message for e in at.exception]
        assert any("Top: " in m.value for m in at.markdown), "the box showed no top patches"
    return statistics.median(samples)


def without_stored_patches() -> tempfile.TemporaryDirectory:
    """A copy of assets/ without the stored top patches; the page then searches."""
    folder = tempfile.TemporaryDirectory(prefix="cnnviz-bench-")
    copy = Path(folder.name) / "assets"
    shutil.copytree(ROOT / "assets", copy, ignore=shutil.ignore_patterns("*-top-patches.json"))
    return folder


def inside(repeats: int, reference: float) -> None:
    """A new test picture per rerun, another map, and the favourite patches opened cold."""
    at = inside_page()
    pictures = [timed(at.number_input(key="inside.index").set_value(101 + 37 * i).run)
                for i in range(repeats)]  # fmt: skip
    maps = [timed(at.slider(key="inside.channel.conv1").set_value(1 + i).run)
            for i in range(repeats)]  # fmt: skip
    assert not at.exception, [e.message for e in at.exception]
    cold = min(repeats, 5)
    header(f"Inside a CNN, clothes network, {repeats} reruns each ({cold} for the cold ones)")
    row("home page rerun (ref)", reference, reference)
    row("new test picture", statistics.median(pictures), reference, NEW_PICTURE_MS)
    row("another map of the same picture", statistics.median(maps), reference)
    for layer in ("conv1", "conv2"):
        row(f"top patches cold, {layer} (stored)", top_patches_cold(layer, cold), reference,
            TOP_PATCHES_COLD_MS)  # fmt: skip
    with without_stored_patches() as folder:
        os.environ["CNNVIZ_ASSETS_DIR"] = str(Path(folder) / "assets")
        try:
            searched = top_patches_cold("conv2", min(cold, 3))
        finally:
            del os.environ["CNNVIZ_ASSETS_DIR"]
    row("top patches cold, conv2 (searched, for comparison)", searched, reference)


SECTIONS = {"convolution": convolution, "inside": inside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", choices=sorted(SECTIONS), help="run one page's part alone")
    args = parser.parse_args()
    reference = home_rerun(args.repeats)
    for name, section in SECTIONS.items():
        if args.only in (None, name):
            section(args.repeats, reference)


if __name__ == "__main__":
    main()
