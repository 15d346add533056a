"""Server-side rerun time of the Convolution page on a 1024 px colour photo.

    python bench/page_rerun.py [--repeats 7]

Each control change is one rerun through AppTest (the same script run a browser triggers,
without the network). Prints medians in ms and, as the machine is shared and noisy, each
median as a ratio to a Home-page rerun measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
os.environ["CNNVIZ_WARM_UP"] = "off"  # AppTest runs no server to warm (ui/warm.py)
sys.path.insert(0, str(ROOT))

from cnnviz.samples import load_sample  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    home = [timed(at.run) for _ in range(args.repeats)]
    at.switch_page("pages/convolution.py").run()
    at.sidebar.radio(key="input.source").set_value("upload").run()
    at.file_uploader(key="uploader.input").set_value(("photo.png", photo_1024(), "image/png")).run()
    at.sidebar.select_slider(key="input.size").set_value("full").run()
    assert not at.exception, at.exception
    changes = {
        "stride 1 <-> 2": lambda i: at.number_input(key="conv.stride_h").set_value(1 + i % 2),
        "preset": lambda i: at.selectbox(key="conv.preset").set_value(
            ["sobel_x", "gaussian_5", "sharpen", "emboss"][i % 4]
        ),
        "padding valid <-> same": lambda i: at.segmented_control(key="conv.pad").set_value(
            ["same", "valid"][i % 2]
        ),
        "step to next pixel": lambda i: at.button(key="conv.next").click(),
    }
    print(f"Convolution page, 1024 x 1024 RGB photo, {args.repeats} reruns each")
    print(f"{'change':<26}{'median ms':>10}{'x home rerun':>14}")
    reference = statistics.median(home)
    print(f"{'home page rerun (ref)':<26}{reference:>10.0f}{1:>14.1f}")
    for name, change in changes.items():
        samples = [timed(lambda i=i, c=change: c(i).run()) for i in range(args.repeats)]
        median = statistics.median(samples)
        print(f"{name:<26}{median:>10.0f}{median / reference:>14.1f}")
    assert not at.exception, at.exception


if __name__ == "__main__":
    main()
