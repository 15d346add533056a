"""Server memory for one student's 40-megapixel upload at working size "full".

    python bench/memory.py [--changes 15] [--size 8000x5000] [--work-mp 2]

Runs the app in this process through AppTest (the script a browser's rerun triggers, without
the network), so this process's memory is the server's. The start is measured after the
Convolution page has shown the default sample, in the same run; then an all-black
8000 x 5000 PNG (116 KB, the largest picture the app accepts) is uploaded, the working size
set to "full" and ``--changes`` settings changed (kernel presets, stride, padding). Prints the
resident memory (RSS) after every change, the media store (what the page sent the browser),
the peak (Linux's VmHWM, reset at the start), and the shared cache's bytes against its
budget. ``--work-mp`` tries another cap than ``cnnviz.images.MAX_WORK_PIXELS``: how it was
chosen.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
os.environ["CNNVIZ_WARM_UP"] = "off"  # AppTest runs no server to warm (ui/warm.py)
sys.path.insert(0, str(ROOT))

PRESETS = ["gaussian_5", "sharpen", "emboss", "box_blur_5", "laplacian", "sobel_y"]


def black_png(width: int, height: int) -> bytes:
    """An all-black RGB PNG: 8000 x 5000 is 116 KB on the wire, 40 million pixels unpacked."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def change(at: AppTest, i: int) -> None:
    """The i-th settings change: a kernel preset, then stride, then padding, in turn."""
    step = i // 3
    if i % 3 == 0:
        at.selectbox(key="conv.preset").set_value(PRESETS[step % len(PRESETS)])
    elif i % 3 == 1:
        at.number_input(key="conv.stride_h").set_value(1 + (step + 1) % 3)
    else:
        at.segmented_control(key="conv.pad").set_value(["same", "valid"][step % 2])


def status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak since the last reset) of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux 4.0 and later)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def media_mb() -> float:
    """Bytes in Streamlit's media store (pictures and files sent to the browser), in MB.

    AppTest tears its runtime down after each run, so the store is found among live objects.
    """
    import gc

    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stores = [o for o in gc.get_objects() if isinstance(o, MemoryMediaFileStorage)]
    sizes = [len(f.content) for store in stores for f in store._files_by_id.values()]
    return sum(sizes) / 2**20


def cache_text() -> str:
    """The shared cache's bytes against its budget, or '' where the app has no such cache."""
    try:
        from ui import cache

        usage = cache.usage()
    except (ImportError, AttributeError):
        return ""
    return f"{usage.bytes / 2**20:8.0f} of {usage.budget / 2**20:.0f} MB"


def settings(at: AppTest) -> str:
    """``sharpen, stride 2, same``: what the page is set to."""
    preset = at.selectbox(key="conv.preset").value
    stride = at.number_input(key="conv.stride_h").value
    return f"{preset}, stride {stride}, {at.segmented_control(key='conv.pad').value}"


def state() -> str:
    """RSS, media store and shared cache now, as table columns."""
    return f"{status_mb('VmRSS'):>9.0f}{media_mb():>9.0f}  {cache_text()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=15)
    parser.add_argument("--size", default="8000x5000", help="width x height of the upload")
    parser.add_argument(
        "--work-mp", type=float, help="try another cap (megapixels) than images.MAX_WORK_PIXELS"
    )
    args = parser.parse_args()
    if args.work_mp:
        from cnnviz import images

        images.MAX_WORK_PIXELS = int(args.work_mp * 1e6)
    width, height = (int(n) for n in args.size.split("x"))
    data = black_png(width, height)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("pages/convolution.py").run()
    change(at, 0)
    at.run()  # one change on the sample, so the start includes a warm page
    assert not at.exception, at.exception
    start = status_mb("VmRSS")
    reset_peak()
    print(f"upload: all-black {width} x {height} PNG, {len(data) / 1024:.0f} KB")
    at.sidebar.radio(key="input.source").set_value("upload").run()
    at.file_uploader(key="uploader.input").set_value(("black.png", data, "image/png")).run()
    at.sidebar.select_slider(key="input.size").set_value("full").run()
    assert not at.exception, at.exception
    print(f"{'step':<34}{'seconds':>8}{'RSS MB':>9}{'media MB':>9}  cache")
    print(f"{'upload, size full':<34}{'':>8}{state()}")
    seconds = []
    for i in range(args.changes):
        change(at, i + 1)
        began = time.perf_counter()
        at.run()
        seconds.append(time.perf_counter() - began)
        assert not at.exception, at.exception
        print(f"{i + 1:2d}. {settings(at):<30}{seconds[-1]:>8.2f}{state()}")
    peak = status_mb("VmHWM")
    print(
        f"start RSS {start:.0f} MB (the page on the default sample), "
        f"peak {peak:.0f} MB (+{peak - start:.0f} MB), "
        f"end {status_mb('VmRSS'):.0f} MB; change median {statistics.median(seconds):.2f} s, "
        f"max {max(seconds):.2f} s"
    )


if __name__ == "__main__":
    main()
