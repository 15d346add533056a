"""Convolution: your image, any kernel, stride, padding, dilation, every output pixel explained."""

import inspect
from functools import partial

import numpy as np
import streamlit as st

from cnnviz import KERNELS, correlate2d_loop, flip_kernel
from cnnviz.codegen import conv_code, keras_conv_code
from cnnviz.kernels import weights_problem
from cnnviz.plotting import DIVERGING_MAPS
from cnnviz.questions import draw_conv_shape, draw_conv_value, draw_which_kernel
from pages.convolution import kernel_editor
from pages.convolution import settings as conv
from pages.convolution.kernel_editor import kernel_choice, kernel_matrix
from ui import address, cache, code_box, linked, picker, quiz, views
from ui.boot import run_under_app
from ui.lessons import next_step
from ui.picker import picture_or_stop

run_under_app()

st.title("Convolution")
st.markdown(
    "A [kernel](/glossary#kernel-filter) is a small grid of numbers. Lay it on the picture, "
    "multiply each pixel under it by the number above it, add everything up: that sum is one "
    "pixel of the output. Slide the kernel one [stride](/glossary#stride) further and repeat. "
    "**Move the pointer over the output** (or tap it) to see the window and the sum behind "
    "any pixel; **Play** slides the window for you."
)
address.gate(picker.PARAMS, conv.PARAMS, kernel_editor.params("conv"))
picked = picture_or_stop()
image = picked.pixels
colour = image.ndim == 3

controls, view = st.columns([1.2, 3], gap="medium")
with controls:
    summed = colour and address.choice(conv.COLOUR_MODE, "radio") == "layer"
    channels = 3 if summed else 1
    source = kernel_choice("conv", channels=channels, learned=conv.learned_kernels)
    window = conv.window_panel()
linked_view = view.container()  # filled once every setting below is known

left, right = st.columns(2, gap="large")
with left:
    st.subheader("1. The kernel's numbers")
    matrix = kernel_matrix("conv", channels=channels, source=source, learned=conv.learned_kernels)
with right:
    st.subheader("2. More about the window")
    settings = conv.settings_panel(matrix.shape[-2:], window)
modes = st.expander("What do the padding modes do?", key="conv.open.modes", on_change="rerun")
if modes.open:  # closed boxes cost the server nothing: their content runs when opened
    with modes:
        conv.mode_pictures()

unusable = weights_problem(matrix)  # an empty cell, or a number too large to compute with
if unusable:
    linked_view.warning(f"{unusable} The kernel is in section 1.", icon=":material/edit:")
    st.stop()
kernel = matrix if summed else matrix[0]
kernel = flip_kernel(kernel).copy() if settings.flip else kernel
height, width = image.shape[-2:]

st.subheader("3. The output size")
out_shape = conv.formula(height, width, *kernel.shape[-2:], settings)
top, bottom, left, right = settings.padding
shown = {(height, width), (height + top + bottom, width + left + right), out_shape} - {None}
avoid = {f"{h} × {w}" for h, w in shown}  # a question never asks what the page prints
quiz.lesson(
    "conv",
    {
        "size": ("An output size", partial(draw_conv_shape, avoid=avoid)),
        "value": ("One pixel by hand", draw_conv_value),
        "kernel": ("Which kernel?", draw_which_kernel),
    },
)
if out_shape is None:
    linked_view.warning(
        "No output with these settings: section 3 below says why.", icon=":material/lightbulb:"
    )
    st.stop()
try:
    out = cache.correlate(picked.key, image, kernel, **settings.options())
except ValueError as why:  # settings each valid, together impossible (e.g. reflect > size)
    linked_view.warning(
        f"**These settings do not work together.** {conv.why_not(why, settings)}",
        icon=":material/lightbulb:",
    )
    st.stop()
if settings.relu:
    out = np.maximum(out, 0)

used = tuple(conv.reached(height, width, kernel.shape[-2:], settings))
padded = conv.padded_floats(picked.key, image, settings.padding, settings.padding_mode)
padded_shape = padded.shape[-2:]
marks = [
    name
    for name, present in (
        ("orange: padding", any(settings.padding)),
        ("purple: never reached", used != padded_shape),
    )
    if present
]
cmap = st.session_state.get("conv.cmap", "RdBu_r")
out_key = (picked.key, kernel.tobytes(), kernel.shape, settings)
picture, legend, limits = conv.output_png(out_key, out, cmap)
channels_text = f"{image.shape[0]} × " if colour else ""
with linked_view:
    linked.conv_view(
        "conv.linked",
        padded=padded,
        input_png=conv.input_png(picked.key, image, settings.padding, settings.padding_mode, used),
        kernel=kernel,
        output_shape=out.shape,
        output_png=picture,
        stride=settings.stride,
        dilation=settings.dilation,
        padding=settings.padding,
        bias=settings.bias,
        relu=settings.relu,
        cmap=cmap,
        limits=limits,
        captions={
            "input": f"{views.shape_text(image)} → {channels_text}{padded_shape[0]} × "
            f"{padded_shape[1]}" + (f" ({', '.join(marks)})" if marks else ""),
            "kernel": f"{views.shape_text(kernel)}"
            + (": the red slice; all three are in section 1" if kernel.ndim == 3 else ""),
            "output": f"{views.shape_text(out)}. {legend}",
        },
    )
    st.markdown(
        f"**Shapes:** input `{views.shape_text(image)}` → Kernel `{views.shape_text(kernel)}` "
        f"→ output `{views.shape_text(out)}`; "
        f"output values from {out.min():.4f} to {out.max():.4f}."
    )

st.subheader("4. The colours of the output")
st.segmented_control(
    "Colours for signed numbers",
    DIVERGING_MAPS,
    default="RdBu_r",
    key="conv.cmap",
    required=True,
    persist_state="session",
)
st.caption(
    "Blue-red, purple-orange or cool-warm: choose what reads best on your screen or projector; "
    "white is always 0."
)

compare = address.expander(conv.COMPARE_OPEN)  # a shared link opens the box with its kernel
if compare.open:  # closed boxes cost the server nothing: their content runs when opened
    with compare:
        other = address.choice(conv.COMPARE, "selectbox")
        weights = (
            KERNELS[other].weights if not summed else np.repeat(KERNELS[other].weights[None], 3, 0)
        )
        try:
            second = cache.correlate(picked.key, image, weights, **settings.options())
        except ValueError as why:
            st.warning(conv.why_not(why, settings), icon=":material/lightbulb:")
        else:
            x, y = st.columns(2)
            views.show(
                x,
                picture.data,
                caption=f"Your kernel: output {views.shape_text(out)}",
                sharp="conv-yours",
            )
            views.show(
                y,
                views.fit(conv.output_picture(second, cmap).picture, enlarge=False)[0],
                caption=f"{KERNELS[other].title}: output {views.shape_text(second)}",
                sharp="conv-second",
            )

flip = st.expander(
    "Convolution or cross-correlation? The flip", key="conv.open.flip", on_change="rerun"
)
if flip.open:
    with flip:
        conv.flip_lesson(picked.key, image, kernel, settings)

code = st.expander(
    "The same in PyTorch or Keras, and downloads", key="conv.open.code", on_change="rerun"
)
if code.open:
    with code:
        layer = {"channels": image.shape[0] if colour else 1, "relu": settings.relu}
        code_box.code_tabs(
            conv_code(kernel, **layer, **settings.options()),
            keras_conv_code(kernel, **layer, **settings.options()),
            code_box.KERAS_LAYOUT + " Its kernels are (kh, kw, in, out).",
        )
        d1, d2 = st.columns(2)  # the files are made only when a button is pressed
        d1.download_button(
            "Output as .npy (exact numbers)",
            partial(cache.npy_of, out),
            "output.npy",
            key="conv.npy",
        )
        d2.download_button(
            "Output as PNG (the picture)",
            partial(lambda: cache.png_of(conv.output_picture(out, cmap).picture)),
            "output.png",
            mime="image/png",
            key="conv.png",
        )

loop = st.expander(
    "How is this computed? The textbook loop", key="conv.open.loop", on_change="rerun"
)
if loop.open:
    with loop:
        st.markdown(
            "The app runs a fast version; this loop is the definition it is tested against."
        )
        st.code(inspect.getsource(correlate2d_loop), language="python")

next_step("pages/convolution.py")
