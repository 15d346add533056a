"""Choose a kernel: a preset, or any matrix edited like a spreadsheet.

State per page prefix ``p``: ``p.base`` holds the matrix as ``(C, kh, kw)`` (one slice per
channel the kernel sums over, or one slice for an image filter); the editors show it, and
bumping ``p.version`` resets them after a button changed the base.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import KERNELS, flip_kernel
from cnnviz.kernels import MAX_SIDE, MAX_WEIGHT, weights_problem
from cnnviz.mosaic import encode_png, feature_mosaic
from cnnviz.plotting import mark_box
from ui import address, cache, views

CHANNEL_NAMES = ("red", "green", "blue")
MAX_KERNEL_TEXT = 20_000  # characters of a kernel in the address: 3 x 15 x 15 numbers fit


def _resize(matrix: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Crop or zero-pad ``(C, kh, kw)`` around its centre to ``(C, rows, cols)``."""
    out = np.zeros((matrix.shape[0], rows, cols), np.float32)
    kh, kw = matrix.shape[-2:]
    h, w = min(kh, rows), min(kw, cols)
    src_r, src_c, dst_r, dst_c = (kh - h) // 2, (kw - w) // 2, (rows - h) // 2, (cols - w) // 2
    out[:, dst_r : dst_r + h, dst_c : dst_c + w] = matrix[:, src_r : src_r + h, src_c : src_c + w]
    return out


def encode(matrix: np.ndarray) -> str:
    """``(C, kh, kw)`` -> ``"1,0,-1;2,0,-2|..."`` for the page address."""
    return "|".join(";".join(",".join(f"{v:g}" for v in row) for row in m) for m in matrix)


def read_kernel(text: str) -> np.ndarray:
    """Inverse of ``encode``: float32 ``(C, kh, kw)``, C 1 to 3, sides 1 to ``MAX_SIDE``,
    every number finite and at most ``MAX_WEIGHT`` in size; ``ValueError`` otherwise."""
    if len(text) > MAX_KERNEL_TEXT:
        raise ValueError(f"a kernel is at most {MAX_KERNEL_TEXT:,} characters")
    slices = [[[float(v) for v in row.split(",")] for row in m.split(";")] for m in text.split("|")]
    matrix = np.array(slices, dtype=np.float64)  # rows of unequal length: ValueError
    channels, rows, cols = matrix.shape if matrix.ndim == 3 else (0, 0, 0)
    if not (
        1 <= channels <= len(CHANNEL_NAMES) and 1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE
    ):
        raise ValueError(f"a kernel has 1 to 3 slices of 1 to {MAX_SIDE} rows and columns")
    problem = weights_problem(matrix)
    if problem:
        raise ValueError(problem)
    return matrix.astype(np.float32)


@dataclass(frozen=True)
class KernelParams:
    """What the address says about a page's kernel (prefix ``p``)."""

    source: address.Choice  # start from a preset or a learned kernel
    preset: address.Choice
    kernel: address.Custom  # a matrix typed or changed by hand, as ``encode`` writes it

    def __iter__(self):
        return iter((self.source, self.preset, self.kernel))


@functools.cache
def params(p: str) -> KernelParams:
    """The address parameters of the kernel of page prefix ``p`` ("conv")."""
    return KernelParams(
        address.Choice(
            f"{p}.source",
            "Start from",
            ("preset", "learned"),
            "preset",
            {"preset": "A preset", "learned": "A kernel the CNN learned"}.get,
        ),
        address.Choice(
            f"{p}.preset",
            "Kernel preset",
            tuple(KERNELS),
            "sobel_x",
            lambda k: KERNELS[k].title,
        ),
        address.Custom(
            f"{p}.kernel",
            "The kernel",
            read_kernel,
            encode,
            f"1 to 3 slices of up to {MAX_SIDE} × {MAX_SIDE} numbers between "
            f"−{MAX_WEIGHT:,.0f} and {MAX_WEIGHT:,.0f}",
            default_words="the preset",
        ),
    )


def learned_param(p: str, count: int) -> address.Whole:
    """Which of a network's ``count`` first-layer kernels (known once it is loaded)."""
    return address.Whole(f"{p}.learned", "Kernel number", 0, count - 1, 0)


def model_param(p: str, titles: tuple[str, ...]) -> address.Choice:
    """Which trained network, among the ``titles`` of those that load."""
    return address.Choice(f"{p}.model", "Trained network", titles, titles[0])


def _cell_edits(state, rows: int, cols: int) -> tuple[dict[tuple[int, int], float], bool]:
    """The cell edits in one editor's state that a ``rows`` x ``cols`` table can hold, and
    whether the state held anything else (rows added or deleted, cells outside the table,
    values that are not numbers): a browser never sends those for a fixed table.

    The sizes are checked before anything is read, so a forged state with thousands of rows
    costs nothing.
    """
    if state is None:
        return {}, False
    if not isinstance(state, Mapping):
        return {}, True
    edited = state.get("edited_rows") or {}
    extra = bool(state.get("added_rows") or state.get("deleted_rows"))
    extra |= not set(state) <= {"edited_rows", "added_rows", "deleted_rows"}
    if not isinstance(edited, Mapping) or len(edited) > rows:
        return {}, True
    names = {str(c): c for c in range(cols)}
    cells: dict[tuple[int, int], float] = {}
    for row, changes in edited.items():
        if not (isinstance(row, int) and 0 <= row < rows and isinstance(changes, Mapping)):
            extra = True
            continue
        if len(changes) > cols:
            extra = True
            continue
        for name, value in changes.items():
            number = value is None or (
                isinstance(value, (int, float)) and not isinstance(value, bool)
            )
            if name in names and number:
                cells[row, names[name]] = np.nan if value is None else float(value)
            else:
                extra = True
    return cells, extra


def _bound_edits(p: str, names: tuple[str, ...]) -> None:
    """Keep what the kernel's editors can hold, before any editor applies its edits: a
    forged message adding 10,000 rows to the fixed table (45 s of server time if applied)
    is cut to the cells the kernel has, and the editors start again from that."""
    base = st.session_state[f"{p}.base"]
    version = st.session_state[f"{p}.version"]
    rows, cols = base.shape[-2:]
    kept, forged = base.astype(np.float64), False
    for index, name in enumerate(names):
        cells, extra = _cell_edits(st.session_state.get(f"{p}.matrix.{name}.{version}"), rows, cols)
        forged |= extra
        for (row, col), value in cells.items():
            kept[index, row, col] = value
    if forged:
        _set_base(p, kept)
        st.session_state[f"{p}.note"] = (
            f"The table got rows, columns or values a {rows} × {cols} kernel does not have: "
            "they were ignored."
        )


def _set_base(p: str, matrix: np.ndarray) -> None:
    st.session_state[f"{p}.base"] = np.asarray(matrix, np.float32)
    st.session_state[f"{p}.version"] = st.session_state.get(f"{p}.version", 0) + 1
    st.session_state.pop(f"{p}.current", None)


def _load_preset(p: str, channels: int) -> None:
    weights = KERNELS[st.session_state[f"{p}.preset"]].weights
    _set_base(p, np.repeat(weights[None], channels, axis=0))
    st.session_state[f"{p}.rows"], st.session_state[f"{p}.cols"] = weights.shape
    st.session_state[f"{p}.loaded"] = "preset"


def _edited(p: str) -> np.ndarray:
    """What the editors show now, edits included."""
    return st.session_state.get(f"{p}.current", st.session_state[f"{p}.base"])


def _apply(p: str, operation: str) -> None:
    matrix = np.nan_to_num(_edited(p).astype(np.float64))
    rng = np.random.default_rng()
    if operation == "random":
        matrix = rng.uniform(-1, 1, matrix.shape).round(2)
    elif operation == "normalise":
        total = matrix.sum()
        if abs(total) > 1e-9 and np.abs(matrix / total).max() <= MAX_WEIGHT:
            matrix = matrix / total
        else:
            st.session_state[f"{p}.note"] = (
                "Normalise left the kernel as it was: its numbers add up to "
                f"{total:.3g}, and dividing by that would make them too large."
            )
    elif operation == "flip":
        matrix = flip_kernel(matrix).copy()
    _set_base(p, matrix)


def _resize_base(p: str) -> None:
    rows, cols = st.session_state[f"{p}.rows"], st.session_state[f"{p}.cols"]
    _set_base(p, _resize(np.nan_to_num(_edited(p)), rows, cols))


def _loaded(learned: dict[str, np.ndarray | None]) -> dict[str, np.ndarray]:
    """The networks whose kernels could be loaded."""
    return {title: kernels for title, kernels in learned.items() if kernels is not None}


def _switch_source(p: str, channels: int, learned) -> None:
    """Start from the first learned kernel (if any network loads) or from the preset."""
    usable = _loaded(learned()) if st.session_state[f"{p}.source"] == "learned" else {}
    if usable:
        _load_learned(p, channels, usable)
    else:
        _load_preset(p, channels)


def _load_learned(p: str, channels: int, learned: dict[str, np.ndarray]) -> None:
    kernels = learned.get(st.session_state.get(f"{p}.model"), next(iter(learned.values())))
    index = min(st.session_state.get(f"{p}.learned", 0), len(kernels) - 1)
    _set_base(p, np.repeat(kernels[index][None], channels, axis=0))
    st.session_state[f"{p}.rows"], st.session_state[f"{p}.cols"] = kernels.shape[-2:]
    st.session_state[f"{p}.loaded"] = "learned"


@cache.budgeted("picture")
def _gallery(model: str, _kernels: np.ndarray, chosen: int) -> bytes:
    """``model``'s first-layer kernels ``(C, kh, kw)`` as one PNG, ``chosen`` outlined gold."""
    sheet = feature_mosaic(_kernels, columns=8, signed=True, scale=16)
    top, left = sheet.tile_origin(chosen)
    rows, cols = sheet.tile_h * sheet.scale, sheet.tile_w * sheet.scale
    picture = mark_box(
        sheet.picture, top - 4, left - 4, rows + 8, cols + 8, color=(255, 176, 0), thickness=4
    )
    return encode_png(picture)


def _learned_picker(p: str, channels: int, learned: dict[str, np.ndarray]) -> None:
    """Choose a trained network and one of its first-layer kernels, shown in a gallery."""
    args = (p, channels, learned)
    model = address.choice(
        model_param(p, tuple(learned)), "selectbox", on_change=_load_learned, args=args
    )
    kernels = learned[model]
    index = address.slider(learned_param(p, len(kernels)), on_change=_load_learned, args=args)
    views.show(
        st,
        _gallery(model, kernels, index),
        caption=f"The {len(kernels)} kernels the network's first layer learned by itself "
        "(gold: the one in use)",
        width="content",
    )
    st.caption("Nobody typed these numbers: training found them. Many look like edge finders.")


def kernel_choice(
    p: str, *, channels: int, learned: Callable[[], dict[str, np.ndarray | None]] | None = None
) -> str:
    """Where the kernel starts: a preset (chosen here) or a learned one; returns the source.

    ``learned`` returns, by network title, its first-layer kernels ``(C, kh, kw)`` (None for a
    damaged file); it is called only when the student asks for a learned kernel: loading
    the networks costs the page's first visitor a second.
    """
    source = "preset"
    if learned is not None:
        source = address.choice(
            params(p).source,
            "segmented_control",
            on_change=_switch_source,
            args=(p, channels, learned),
        )
    preset = address.choice(
        params(p).preset,
        "selectbox",
        on_change=_load_preset,
        args=(p, channels),
        disabled=source == "learned",
    )
    if source == "preset":
        st.caption(KERNELS[preset].explanation)
    return source or "preset"


def kernel_matrix(
    p: str,
    *,
    channels: int,
    source: str,
    learned: Callable[[], dict[str, np.ndarray | None]] | None = None,
) -> np.ndarray:
    """The learned-kernel picker (when ``source`` is "learned"), size, buttons and the
    editable matrix; returns ``(channels, kh, kw)``. The result may contain NaN where a cell
    was emptied, or numbers too large to use: ``weights_problem`` says so for the caller.
    """
    preset = st.session_state.get(f"{p}.preset", "sobel_x")
    usable: dict[str, np.ndarray] = {}
    if source == "learned" and learned is not None:
        found = learned()
        usable = _loaded(found)
        for title, kernels in found.items():
            if kernels is None:
                st.caption(
                    f"The network “{title}” could not be loaded: its kernels are not offered. "
                    "The Inside a CNN page says why."
                )
        if usable:
            _learned_picker(p, channels, usable)
            opened = st.session_state.get(f"{p}.loaded") != "learned"
            if opened and not st.query_params.get(f"{p}.kernel"):
                _load_learned(p, channels, usable)  # a link opened on a learned kernel
        else:
            st.warning("No trained network could be loaded: start from a preset.")
            source = "preset"
    base = st.session_state.get(f"{p}.base")
    if base is None:
        address.admit(params(p).kernel)  # a link's kernel: used only if it is a kernel
        shared = address.value(params(p).kernel)
        _set_base(p, shared if shared is not None else KERNELS[preset].weights[None])
        base = st.session_state[f"{p}.base"]
    if base.shape[0] != channels:
        _set_base(p, np.repeat(base[:1], channels, axis=0))
    st.session_state[f"{p}.rows"], st.session_state[f"{p}.cols"] = _edited(p).shape[-2:]
    size = st.columns(2)
    for column, name, key in ((size[0], "Rows", f"{p}.rows"), (size[1], "Columns", f"{p}.cols")):
        column.number_input(name, 1, MAX_SIDE, key=key, on_change=_resize_base, args=(p,))
    buttons = st.container(horizontal=True)  # wraps on narrow screens and in projector mode
    for label, operation, help_text in (
        ("Randomise", "random", "Random numbers between -1 and 1."),
        ("Normalise", "normalise", "Divide by the sum so the numbers add up to 1."),
        ("Flip", "flip", "Rotate the kernel by 180 degrees."),
        ("Reset", "reset", "Back to the preset."),
    ):
        reset = (
            (_load_learned, (p, channels, usable))
            if source == "learned"
            else (_load_preset, (p, channels))
        )
        callback = reset if operation == "reset" else (_apply, (p, operation))
        buttons.button(
            label,
            key=f"{p}.button_{operation}",
            on_click=callback[0],
            args=callback[1],
            help=help_text,
        )
    names = CHANNEL_NAMES if channels == 3 else ("kernel",)
    _bound_edits(p, names)
    if note := st.session_state.pop(f"{p}.note", None):
        st.caption(f":material/info: {note}")
    version = st.session_state[f"{p}.version"]
    base = st.session_state[f"{p}.base"]
    tabs = st.tabs([f"{n} channel" for n in names]) if channels == 3 else [st.container()]
    edited = []
    for tab, name, matrix in zip(tabs, names, base, strict=True):
        frame = pd.DataFrame(
            matrix.astype(np.float64), columns=[str(c) for c in range(matrix.shape[1])]
        )
        with tab:
            result = st.data_editor(
                frame,
                key=f"{p}.matrix.{name}.{version}",
                hide_index=False,
                width="stretch",
                column_config={c: st.column_config.NumberColumn(c, format="%.3g") for c in frame},
            )
        edited.append(result.to_numpy(dtype=np.float64, na_value=np.nan))
    current = np.array(edited, dtype=np.float32)
    st.session_state[f"{p}.current"] = current
    preset_matrix = np.repeat(KERNELS[preset].weights[None], channels, axis=0)
    custom = current.shape != preset_matrix.shape or not np.array_equal(current, preset_matrix)
    if custom and weights_problem(current) is None:
        st.query_params[f"{p}.kernel"] = encode(current)
    elif f"{p}.kernel" in st.query_params:
        del st.query_params[f"{p}.kernel"]
    return current
