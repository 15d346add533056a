"""Class load test: N students use the app at once, on one server or on replicas behind nginx.

    python bench/classroom.py [--sessions 50] [--think 1 4] [--replicas N] [--proxy nginx]
                              [--cold] [--browser] [--url URL] [--train SHARE]
                              [--train-distinct] [--profile FOLDER]

Starts `streamlit run app.py` on free loopback ports (one per replica, unless --url is given)
and walks N students through the classroom script with 1 to 4 s of thinking between steps,
arriving 0.2 s apart. Prints sessions completed, p50/p95 latency of every interaction and of
each step (from the action until Streamlit reports the script run finished; "with pictures":
until the media files the run named had arrived too), errors, and for each server the
students it served, its peak memory and the CPU it used. Not a CI gate.

Before the class the teacher opens the app: every server is visited once as ui/warm.py does
(one page after the other), then the bench waits until the server is idle. --cold skips
that: the class meets servers that have answered nothing yet.

--proxy nginx puts Debian's nginx in front of the replicas, running deploy/nginx.conf itself
(from a temporary prefix folder that also holds the generated replicas.conf and listen.conf
the file includes), and sends every student through it. nginx keeps a student on one replica
by the client's address, so each student's connections start from its own loopback address
(127.0.0.2, 127.0.0.3, ...: one classroom network); the bench also reports how nginx spreads
fifty such addresses, and which replica each student reached (from nginx's access log).

Default: each student is a websocket speaking Streamlit's protocol (ui/visitor.py) and fetching
the media files a browser would: open the Convolution page, pick a photo, change the kernel
and the stride, open Pooling and change the window, open Inside a CNN, open the Glossary.
--train SHARE (protocol mode): after the Glossary that share of the students (0.3: about every
third) opens Train and presses "Train both networks", a quarter of them with the defaults and
the others with 5,000, 10,000 or 20,000 images (so the class makes several different races
and some students share one; with --train-distinct each picks settings nobody else picks, 60 s
races, the worst case for the line), then keeps the page open as a browser does (its fragment asks
for news every second) until its own race's results are shown. It reports, from the press,
how long until each student sees a race's live curves (their own, or the one running while
theirs waits), until their own race's curves, and until their results, and how many races
the class made.

--profile FOLDER records each server with py-spy (100 samples a second, the thread holding
the GIL) from the first student to the last, and writes FOLDER/server-N.txt; `python
bench/stacks.py FOLDER/server-1.txt --page pooling` says which pages, and which lines of a
page, took the server's time.

With --browser each student is a Playwright context in Debian's chromium and uploads a real
photo instead of picking one; the browsers then share the server's cores, so use it with a
handful of students (CI: 5). Browsers all connect from 127.0.0.1: behind nginx they share one
replica.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from tests.e2e.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    _free_port,
    start_server,
    stop_server,
)

IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
CLASSROOM_ADDRESSES = 50  # how many addresses of the class network the spread report probes
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)  # seconds per interaction
    started: list[float] = field(default_factory=list)  # when each began, s after the class
    with_pictures: list[float] = field(default_factory=list)  # protocol mode: media arrived
    completed: int = 0
    by_step: dict[str, list[float]] = field(default_factory=dict)  # per step
    errors: list[str] = field(default_factory=list)
    origin: float = field(default_factory=time.perf_counter)

    def add(self, name: str, seconds: float, began: float, pictures: float | None = None):
        self.latencies.append(seconds)
        self.started.append(began - self.origin)
        self.by_step.setdefault(name, []).append(seconds)
        if pictures is not None:
            self.with_pictures.append(pictures)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0-100) of ``values``; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, int(round(q / 100 * len(ordered))) - 1)]


# --- the servers -------------------------------------------------------------------------------


@dataclass
class Server:
    """One replica the bench started, and what it used."""

    process: subprocess.Popen
    url: str
    peak_kb: int = 0
    cpu_start: float = 0.0
    cpu_seconds: float = 0.0

    def cpu(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0])


PY_SPY_PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def profile(server: Server, folder: Path, i: int) -> subprocess.Popen:
    """Start py-spy sampling ``server`` 100 times a second until interrupted: the thread that
    holds the GIL only, since one Python process does one thing at a time (a thread waiting
    for the GIL would otherwise count as busy where it waits)."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [shutil.which("py-spy", path=PY_SPY_PATH), "record", "--rate", "100", "--gil"]
    command += ["--format", "raw", "--nonblocking", "--pid", str(server.process.pid)]
    command += ["--output", str(folder / f"server-{i + 1}.txt")]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def watch(servers: list[Server], stop: threading.Event) -> None:
    """Sample each server's resident memory every 0.5 s; keep the peak."""
    while not stop.is_set():
        for server in servers:
            with contextlib.suppress(OSError, IndexError, ValueError):  # it has just ended
                server.peak_kb = max(server.peak_kb, server.rss_kb())
        stop.wait(0.5)


def teacher_first(servers: list[Server]) -> None:
    """Open every page of every server once (ui/warm.py's visit), then wait until each
    server has stopped working (its own warm-up, started by that visit, included)."""
    from ui import warm

    for server in servers:
        asyncio.run(warm.visit(server.url))
    for server in servers:
        deadline = time.monotonic() + 180
        before = server.cpu()
        while time.monotonic() < deadline:
            time.sleep(1)
            now = server.cpu()
            if now - before < 0.05:  # under 5 % of a core for a second: idle
                break
            before = now


@dataclass
class Nginx:
    """Debian's nginx running deploy/nginx.conf in front of ``upstreams``."""

    process: subprocess.Popen
    folder: Path
    url: str

    @classmethod
    def start(cls, upstreams: list[str]) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise SystemExit("--proxy nginx needs Debian's nginx: apt-get install -y nginx")
        folder = Path(tempfile.mkdtemp(prefix="cnnviz-nginx-"))
        folder.chmod(0o755)  # started as root, nginx's workers run as nobody: uploads land here
        # The file itself, linked: nginx reads its includes from the folder of the path it
        # is given, so replicas.conf and listen.conf come from this folder.
        (folder / "nginx.conf").symlink_to(NGINX_CONF)
        port = _free_port()
        (folder / "replicas.conf").write_text(
            "".join(f"server {url.removeprefix('http://')};\n" for url in upstreams)
        )
        (folder / "listen.conf").write_text(f"listen 127.0.0.1:{port};\n")
        command = [binary, "-e", "stderr", "-p", f"{folder}/", "-c", str(folder / "nginx.conf")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(f"nginx refused {NGINX_CONF}:\n{check.stderr}")
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=(folder / "access.log").open("wb"),
            stderr=(folder / "error.log").open("wb"),
            start_new_session=True,
        )
        nginx = cls(process, folder, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{nginx.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return nginx
            except OSError:
                time.sleep(0.2)
        nginx.stop()
        raise SystemExit(f"nginx did not answer: {(folder / 'error.log').read_text()}")

    def stop(self) -> None:
        self.process.terminate()  # nginx: fast shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> list[tuple[str, str, str]]:
        """``(client address, replica, request)`` of every request nginx has logged."""
        pattern = re.compile(r'^(\S+) -> (\S+) "(\S+ \S+)', re.M)
        return pattern.findall((self.folder / "access.log").read_text())

    def spread(self, addresses: list[str]) -> Counter:
        """Which replica nginx sends each of ``addresses`` to: one health request from each,
        read back from the access log. Returns replicas -> how many addresses."""
        for address in addresses:
            asyncio.run(_get(self.url, "/_stcore/health", address))
        time.sleep(0.2)
        chosen = {
            client: replica
            for client, replica, request in self.log()
            if request.endswith("/_stcore/health") and client in addresses
        }
        return Counter(chosen.values())

    def students(self) -> dict[str, set[str]]:
        """Client address -> the replicas its websocket and media requests reached."""
        reached: dict[str, set[str]] = {}
        for client, replica, request in self.log():
            if "/_stcore/stream" in request or "/media/" in request:
                reached.setdefault(client, set()).add(replica)
        return reached


async def _get(url: str, path: str, source: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), local_addr=(source, 0))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
    )
    await reader.read()
    writer.close()


def address(n: int) -> str:
    """The loopback address student ``n`` connects from: 127.0.0.2, 127.0.0.3, ... (one /24
    network, like a classroom's Wi-Fi), then 127.0.1.2, ... beyond 250 students."""
    return f"127.0.{n // 250}.{n % 250 + 2}"


# --- students ----------------------------------------------------------------------------------


def photo(path: Path) -> Path:
    """A 640 x 480 colour 'photo' with edges and texture, saved as JPEG."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:480, 0:640]
    base = np.stack([(x / 640), (y / 480), ((x // 80 + y // 80) % 2) * 0.8], axis=-1)
    pixels = (np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=88)
    return path


async def step(tab, results: Results, name: str, action) -> None:
    """Do ``action``, then wait until the app has rerun; record the latency."""
    start = time.perf_counter()
    await action()
    await tab.wait_for_timeout(150)  # let the rerun start before waiting for it to end
    await tab.wait_for_function(IDLE, timeout=120_000)
    results.add(name, time.perf_counter() - start, start)


async def type_number(tab, label: str, value: int) -> None:
    """Type ``value`` into the number box labelled ``label`` and press Enter, as a student."""
    box = tab.get_by_role("spinbutton", name=label)
    await box.fill(str(value))
    await box.press("Enter")


async def student(browser, url: str, picture: Path, think, results: Results, n: int) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = await context.new_page()
    tab.set_default_timeout(120_000)
    pause = lambda: tab.wait_for_timeout(random.uniform(*think) * 1000)  # noqa: E731
    try:
        await step(tab, results, "open Convolution", lambda: tab.goto(f"{url}/convolution"))
        await tab.wait_for_selector("h1")
        await pause()
        await step(
            tab, results, "upload source", lambda: tab.get_by_text("Upload a picture").click()
        )
        await pause()
        await step(
            tab,
            results,
            "upload a photo",
            lambda: tab.locator('input[type="file"]').set_input_files(str(picture)),
        )
        # the photo is worked on at the default 256 px: 480 x 640 -> 192 x 256
        await tab.get_by_text(re.compile(r"input 3 × 192 × 256")).first.wait_for()
        await pause()

        async def kernel():
            await tab.get_by_label("Kernel preset").click()
            await tab.get_by_role("option", name="Gaussian blur 5x5").click()

        await step(tab, results, "change kernel", kernel)
        await pause()
        await step(tab, results, "change stride", lambda: type_number(tab, "Stride down", 2))
        await pause()
        await step(tab, results, "open Pooling", lambda: tab.goto(f"{url}/pooling"))
        await tab.wait_for_selector("h1")
        await pause()
        await step(tab, results, "change window", lambda: type_number(tab, "Window height", 3))
        await pause()
        await step(tab, results, "open Glossary", lambda: tab.goto(f"{url}/glossary"))
        text = await tab.locator("[data-testid='stMain']").inner_text()
        if "Traceback" in text or "encountered an error" in text:
            raise RuntimeError("error text on the page")
        results.completed += 1
    except Exception as error:  # a load test reports failures, it does not stop at one
        results.errors.append(f"student {n}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await context.close()


# --- students who press Train -----------------------------------------------------------------

TRAIN_SUBSETS = (60_000, 5_000, 10_000, 20_000)  # the k-th student who trains picks the k-th
CURVES = "Recent training batches (smoothed)"  # the caption under a race's live curves
WATCHING = "Meanwhile, watch the race training now"  # a student whose race waits
RESULTS = "**Test accuracy:**"  # a finished race's results
TRAIN_TIMEOUT = 900.0  # seconds a student waits for their results before giving up


def trainer_index(n: int, share: float) -> int | None:
    """Which of the students who train student ``n`` is (0, 1, ...), or None: a ``share`` of
    the class, spread evenly (0.3: students 3, 6, 9, ... counting from 1)."""
    before, after = int(n * share), int((n + 1) * share)
    return before if after > before else None


async def run_page(s, *, fragment: str | None = None) -> tuple[float, list[str], str | None]:
    """One script run, as ``Visitor`` does it, but reading every text a student reads
    (markdown, alerts, progress bars) and the fragment the page asks to rerun on a timer.

    ``fragment``: rerun only that fragment, as a browser's timer does. Returns the seconds
    until the run finished, its texts, and the polling fragment's id (None: no polling).
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from ui.visitor import FINISHED_EARLY_FOR_RERUN

    message = BackMsg()
    rerun = message.rerun_script
    rerun.query_string, rerun.page_name = "", s.page
    for widget_id, (kind, value) in s.states.items():
        state = rerun.widget_states.widgets.add()
        state.id = widget_id
        if kind == "string_array_value":
            state.string_array_value.data.extend(value)
        else:
            setattr(state, kind, value)
    rerun.cached_message_hashes.extend(s.messages)
    if fragment is not None:  # a browser names the page by its hash: a rerun the fragment
        # asks for (st.rerun) then redraws this page, not the app's first one
        rerun.fragment_id, rerun.is_auto_rerun = fragment, True
        rerun.page_script_hash = s.page_hash
    start = time.perf_counter()
    await s.socket.send(message.SerializeToString())
    texts: list[str] = []
    polling = None
    while True:
        data = await s.socket.recv()
        reply = ForwardMsg()
        reply.ParseFromString(data)
        if reply.WhichOneof("type") == "ref_hash":
            reply.ParseFromString(s.messages[reply.ref_hash])
        elif reply.metadata.cacheable:
            s.messages[reply.hash] = data
        kind = reply.WhichOneof("type")
        if kind == "auto_rerun":
            polling = reply.auto_rerun.fragment_id
        if kind == "navigation":  # st.navigation names the page it ran
            s.page_hash = reply.navigation.page_script_hash
        if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
            element = reply.delta.new_element
            inner = getattr(element, element.WhichOneof("type"))
            for name in ("body", "text"):  # markdown and alerts; progress bars
                if isinstance(getattr(inner, name, None), str):
                    texts.append(getattr(inner, name))
            if element.WhichOneof("type") == "exception":
                s.exceptions += 1
            widget_id = getattr(inner, "id", "")
            if widget_id and "-" in widget_id:
                s.ids[widget_id.rsplit("-", 1)[1]] = widget_id
        if kind == "script_finished" and reply.script_finished != FINISHED_EARLY_FOR_RERUN:
            return time.perf_counter() - start, texts, polling


@dataclass
class Training:
    """What the students who pressed Train saw, in seconds from their press."""

    curves: list[float] = field(default_factory=list)  # until a race's live curves
    watching: int = 0  # of them, students who first saw another race (theirs waited)
    own: list[float] = field(default_factory=list)  # until their own race's curves
    results: list[float] = field(default_factory=list)  # until their own race's results
    polls: list[float] = field(default_factory=list)  # each fragment rerun's latency
    pressed: int = 0
    races: set[str] = field(default_factory=set)  # the settings pressed: races the class made


def train_settings(k: int, distinct: bool) -> dict[str, str]:
    """The Train page's settings of the ``k``-th student who trains, as the page shows them:
    a few shared choices (some students join one race), or ``distinct`` ones (nobody shares:
    the longest time budget, each with its own image count and learning rate)."""
    if not distinct:
        subset = TRAIN_SUBSETS[k % len(TRAIN_SUBSETS)]
        return {} if subset == TRAIN_SUBSETS[0] else {"train.subset": f"{subset:,}"}
    from cnnviz.race import BUDGETS, RATES, SUBSETS  # the page's choices (torch: loaded late)

    if k >= len(SUBSETS) * len(RATES):
        raise ValueError(f"the Train page offers {len(SUBSETS) * len(RATES)} distinct settings")
    return {
        "train.budget": f"{max(BUDGETS)} s",
        "train.subset": f"{SUBSETS[k % len(SUBSETS)]:,}",
        "train.lr": f"{RATES[k // len(SUBSETS)]:g}",
    }


async def press_train(s, training: Training, k: int, think, distinct: bool = False) -> None:
    """Open Train, maybe change its settings, press Train, then keep the page open (polling
    as its fragment asks) until this student's race has its results."""
    s.page = "train"
    s.states.clear()
    await run_page(s)
    await asyncio.sleep(random.uniform(*think))
    settings = train_settings(k, distinct)
    for key, shown in settings.items():
        s.states[s.ids[key]] = ("string_array_value", [shown])
    if settings:
        await run_page(s)
        await asyncio.sleep(random.uniform(*think))
    button = s.ids["train.start"]
    s.states[button] = ("trigger_value", True)
    pressed = time.perf_counter()
    _, texts, polling = await run_page(s)
    del s.states[button]  # a trigger is true for one run only
    training.pressed += 1
    training.races.add(" / ".join(settings.values()) or "the defaults")
    seen = own = False
    while time.perf_counter() - pressed < TRAIN_TIMEOUT:
        text = "\n".join(texts)
        waited = time.perf_counter() - pressed
        if CURVES in text and not seen:
            seen = True
            training.curves.append(waited)
            training.watching += WATCHING in text
        if CURVES in text and WATCHING not in text and not own:
            own = True
            training.own.append(waited)
        if RESULTS in text:
            training.results.append(waited)
            return
        if polling is None:
            raise RuntimeError("the Train page stopped polling before showing results")
        await asyncio.sleep(1.0)  # the fragment's run_every
        seconds, texts, again = await run_page(s, fragment=polling)
        training.polls.append(seconds)
        polling = again or polling
    raise RuntimeError(f"no results {TRAIN_TIMEOUT:.0f} s after pressing Train")


async def protocol_student(
    url: str,
    think,
    results: Results,
    n: int,
    source: str | None,
    training: Training,
    share,
    distinct: bool = False,
):
    from ui.visitor import Visitor

    async def step(action, name: str) -> None:
        began = time.perf_counter()
        seconds = await action
        results.add(name, seconds, began, s.with_pictures)
        await asyncio.sleep(random.uniform(*think))

    try:
        async with Visitor(url, source=source, pictures=True) as s:
            await step(s.open("convolution"), "open Convolution")
            await step(s.set("input.sample", "string_value", "coins"), "pick a photo")
            await step(s.set("conv.preset", "string_value", "gaussian_5"), "change kernel")
            await step(s.set("conv.stride_h", "int_value", 2), "change stride")
            await step(s.open("pooling"), "open Pooling")
            await step(s.set("pool.kh", "int_value", 3), "change window")
            await step(s.open("inside_cnn"), "open Inside a CNN")
            if not any(t.startswith("### Prediction:") for t in s.texts):
                raise RuntimeError("Inside a CNN showed no prediction")
            await step(s.open("glossary"), "open Glossary")
            k = trainer_index(n, share)
            if k is not None:
                await press_train(s, training, k, think, distinct)
            if s.exceptions:
                raise RuntimeError(f"{s.exceptions} exception(s) shown")
        results.completed += 1
    except Exception as error:  # a load test reports failures, it does not stop at one
        results.errors.append(f"student {n}: {type(error).__name__}: {str(error)[:200]}")


async def protocol_classroom(
    urls: list[str],
    sessions: int,
    think,
    sources: bool,
    share: float = 0.0,
    distinct: bool = False,
) -> tuple[Results, Training]:
    """Students arrive 0.2 s apart. Several ``urls``: they take turns, as a sticky proxy
    would spread them; ``sources``: each connects from its own loopback address; ``share``
    of them press Train at the end (``distinct``: each with settings nobody else picks)."""
    results, training = Results(), Training()
    tasks = []
    for n in range(sessions):
        url, source = urls[n % len(urls)], address(n) if sources else None
        student = protocol_student(url, think, results, n, source, training, share, distinct)
        tasks.append(asyncio.create_task(student))
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)
    return results, training


async def classroom(url: str, sessions: int, think, picture: Path) -> Results:
    from playwright.async_api import async_playwright

    results = Results()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tasks = []
        for n in range(sessions):
            tasks.append(asyncio.create_task(student(browser, url, picture, think, results, n)))
            await asyncio.sleep(0.2)  # students do not all press Enter in the same millisecond
        await asyncio.gather(*tasks)
        await browser.close()
    return results


# --- the report --------------------------------------------------------------------------------


def report_training(training: Training) -> None:
    """The Train step's lines of the table."""
    print(
        f"press Train: {training.pressed} students, {len(training.races)} different settings "
        f"({'; '.join(sorted(training.races))}); seconds from the press until they see"
    )
    rows = (
        ("a race's live curves", training.curves),
        ("their own race's curves", training.own),
        ("their own results", training.results),
    )
    for name, seconds in rows:
        if seconds:
            print(
                f"  {name:<26} p50 {statistics.median(seconds):6.2f} s  "
                f"p95 {percentile(seconds, 95):6.2f} s  max {max(seconds):6.2f} s  "
                f"({len(seconds)} students)"
            )
    print(
        f"  first saw another student's race while theirs waited: {training.watching}; "
        f"polls (fragment reruns once a second) p50 "
        f"{statistics.median(training.polls) if training.polls else 0:.2f} s, "
        f"p95 {percentile(training.polls, 95):.2f} s"
    )


def report(args, results: Results, wall: float, servers: list[Server], nginx, spread) -> None:
    lat = results.latencies
    print(
        f"sessions completed: {results.completed} of {args.sessions} in {wall:.0f} s "
        f"(think {args.think[0]:g}-{args.think[1]:g} s, "
        f"{'cold servers' if args.cold else 'teacher opened the app first'})"
    )
    print(
        f"interactions: {len(lat)}; latency p50 {statistics.median(lat) if lat else 0:.2f} s, "
        f"p95 {percentile(lat, 95):.2f} s"
        + (
            f"; with pictures p50 {statistics.median(results.with_pictures):.2f} s, "
            f"p95 {percentile(results.with_pictures, 95):.2f} s"
            if results.with_pictures
            else ""
        )
    )
    for name, seconds in results.by_step.items():
        print(
            f"  {name:<20} p50 {statistics.median(seconds):5.2f} s  "
            f"p95 {percentile(seconds, 95):5.2f} s  max {max(seconds):5.2f} s"
        )
    windows: dict[int, list[float]] = {}
    for began, seconds in zip(results.started, lat, strict=True):
        windows.setdefault(int(began // 10), []).append(seconds)
    print(
        "p95 by 10 s of the class: "
        + " ".join(f"{percentile(windows[w], 95):.2f}" for w in sorted(windows))
    )
    if getattr(args, "training", None) is not None and args.training.pressed:
        report_training(args.training)
    print(f"errors: {len(results.errors)}")
    for error in results.errors[:10]:
        print(f"  {error}")
    if spread is not None:
        counts = ", ".join(f"{spread.get(s.url.removeprefix('http://'), 0)}" for s in servers)
        print(
            f"nginx ({NGINX_CONF.relative_to(ROOT)}) sends the addresses {address(0)}-"
            f"{address(CLASSROOM_ADDRESSES - 1)} to replicas 1-{len(servers)}: {counts}"
        )
    clients = nginx.students() if nginx is not None else {}
    if nginx is not None:
        stuck = sum(len(replicas) == 1 for replicas in clients.values())
        print(
            f"client addresses kept on one replica (websocket and media): {stuck} of "
            f"{len(clients)}" + (" (the browsers all share 127.0.0.1)" if args.browser else "")
        )
    for i, server in enumerate(servers):
        here = server.url.removeprefix("http://")
        if nginx is not None:
            served = sum(here in replicas for replicas in clients.values())
            served = args.sessions * served if args.browser else served
        else:
            served = len(range(i, args.sessions, len(servers)))
        each = f", {server.cpu_seconds / served:.2f} s a student" if served else ""
        print(
            f"server {i + 1} of {len(servers)}: {served} students, peak memory "
            f"{server.peak_kb / 1024:.0f} MB, CPU {server.cpu_seconds:.1f} s "
            f"({server.cpu_seconds / wall:.0%} of one core{each})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0))
    parser.add_argument("--url", help="an already running server; default: start one")
    parser.add_argument("--browser", action="store_true", help="real chromium tabs")
    parser.add_argument(
        "--replicas", type=int, default=1, help="servers to start; students split among them"
    )
    parser.add_argument(
        "--proxy", choices=["none", "nginx"], default="none", help="nginx: deploy/nginx.conf"
    )
    parser.add_argument("--cold", action="store_true", help="no teacher's visit first")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FOLDER",
        help="record each server with py-spy during the class (not the teacher's visit) into "
        "FOLDER/server-N.txt; read them with bench/stacks.py",
    )
    parser.add_argument(
        "--train",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of the students who then press Train and wait for their results (0-1)",
    )
    parser.add_argument(
        "--train-distinct",
        action="store_true",
        help="each student who trains picks settings nobody else picks (60 s races)",
    )
    args = parser.parse_args()
    if args.train_distinct and not args.train:
        parser.error("--train-distinct needs --train SHARE")
    if args.train and args.browser:
        parser.error("--train drives the websocket students: leave out --browser")
    if args.url and args.proxy != "none":
        parser.error("--proxy starts its own replicas: leave out --url")
    if args.profile and (args.url or not shutil.which("py-spy", path=PY_SPY_PATH)):
        parser.error(
            "--profile records the servers this bench starts (leave out --url) with py-spy: "
            "install it with `.venv/bin/python -m pip install py-spy==0.4.3`"
        )
    servers = [] if args.url else [Server(*start_server()) for _ in range(args.replicas)]
    nginx = spread = None
    stop = threading.Event()
    threading.Thread(target=watch, args=(servers, stop), daemon=True).start()
    recorders: list[subprocess.Popen] = []
    try:
        if args.proxy == "nginx":
            nginx = Nginx.start([server.url for server in servers])
        if servers and not args.cold:
            teacher_first(servers)
        if nginx is not None:
            spread = nginx.spread([address(n) for n in range(CLASSROOM_ADDRESSES)])
        urls = [nginx.url] if nginx else [args.url] if args.url else [s.url for s in servers]
        for server in servers:
            server.cpu_start = server.cpu()
        if args.profile:
            recorders = [profile(server, args.profile, i) for i, server in enumerate(servers)]
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            if args.browser:
                picture = photo(Path(folder) / "photo.jpg")
                results = asyncio.run(classroom(urls[0], args.sessions, args.think, picture))
            else:
                results, args.training = asyncio.run(
                    protocol_classroom(
                        urls,
                        args.sessions,
                        args.think,
                        nginx is not None,
                        args.train,
                        args.train_distinct,
                    )
                )
            wall = time.perf_counter() - started
        for server in servers:
            server.cpu_seconds = server.cpu() - server.cpu_start
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file and exits
            recorder.wait(timeout=60)
        time.sleep(0.5)  # nginx logs a websocket when it closes
        report(args, results, wall, servers, nginx, spread)
        for i in range(len(recorders)):
            print(f"profile of server {i + 1}: {args.profile / f'server-{i + 1}.txt'}")
    finally:
        stop.set()
        for recorder in recorders:
            if recorder.poll() is None:
                recorder.kill()
        if nginx is not None:
            nginx.stop()
        for server in servers:
            stop_server(server.process)
    return 0 if results.completed == args.sessions and not results.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
