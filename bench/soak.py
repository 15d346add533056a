"""Soak: thousands of reruns in one session; does the server's memory keep growing?

    python bench/soak.py [--reruns 2000] [--warmup 200]

One AppTest session (the same script runs a browser triggers) cycles through the pages,
sample pictures, uploads and settings. Prints resident memory after the warm-up and at the
end, and the growth between them (target: under 50 MB).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
os.environ["CNNVIZ_WARM_UP"] = "off"  # AppTest runs no server to warm (ui/warm.py)


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def upload_bytes(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray((rng.random((120, 160, 3)) * 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def actions(at: AppTest):
    """An endless cycle of things a student does."""
    samples = ["camera", "astronaut", "coins", "checkerboard", "letter_a", "noise"]
    presets = ["sobel_x", "gaussian_5", "sharpen", "laplacian", "emboss"]
    n = 0
    while True:
        n += 1
        at.switch_page("pages/convolution.py")
        yield
        at.sidebar.radio(key="input.source").set_value("sample")
        yield
        at.sidebar.selectbox(key="input.sample").set_value(samples[n % len(samples)])
        yield
        at.selectbox(key="conv.preset").set_value(presets[n % len(presets)])
        yield
        at.number_input(key="conv.stride_h").set_value(1 + n % 3)
        yield
        at.segmented_control(key="conv.pad").set_value(["same", "valid"][n % 2])
        yield
        at.sidebar.radio(key="input.source").set_value("upload")
        yield
        at.file_uploader(key="uploader.input").set_value(
            (f"photo{n}.png", upload_bytes(n % 50), "image/png")
        )
        yield
        at.switch_page("pages/pooling.py")
        yield
        at.switch_page("pages/glossary.py")
        yield
        at.switch_page("pages/home.py")
        yield


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    steps = actions(at)
    start, base, errors = time.perf_counter(), None, 0
    for i in range(args.reruns):
        next(steps)
        at.run()
        errors += len(at.exception)
        if i + 1 == args.warmup:
            base = rss_mb()
            print(f"after {i + 1} reruns (warm-up): {base:.0f} MB")
        if (i + 1) % 250 == 0:
            print(f"{i + 1} reruns: {rss_mb():.0f} MB, {time.perf_counter() - start:.0f} s")
    end = rss_mb()
    print(f"reruns: {args.reruns}, errors: {errors}")
    print(
        f"memory after warm-up {base:.0f} MB, at the end {end:.0f} MB: growth {end - base:+.0f} MB"
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
