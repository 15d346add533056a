"""Pooling: max against average, the winners, repeated pooling, the pipeline, and shifts."""

import inspect

import streamlit as st

from cnnviz import pooling as pool_source
from cnnviz.codegen import keras_pool_code, pool_code
from pages.pooling import sections as pooling
from ui import address, code_box, picker
from ui.boot import run_under_app
from ui.lessons import next_step
from ui.picker import picture_or_stop

run_under_app()

st.title("Pooling")
st.markdown(
    "**Pooling** shrinks a map: cut it into small windows and keep one number per window, "
    "either the largest (**max pooling**) or the mean (**average pooling**). The **stride** is "
    "how far the window jumps: with a 2 × 2 window and stride 2, each side halves and a quarter "
    "of the numbers remain. A CNN pools after convolution and ReLU, so the next layer has less "
    "to compute and small shifts of the picture matter less."
)
address.gate(picker.PARAMS, pooling.PARAMS)
picked = picture_or_stop()

controls, view = st.columns([1.2, 3], gap="medium")  # the map and its pooling beside
with controls:  # the controls a teacher changes, on the first screen
    st.subheader("1. What to pool")
    what, kernel = pooling.source_panel()
    st.markdown("**The window and how it moves**")
    settings = pooling.settings_panel()
linked_view = view.container()  # filled once the map and the settings are known

try:
    values, key, is_feature = pooling.working_map(picked, what, kernel)
except ValueError as why:
    linked_view.warning(
        f"This picture is too small for the kernel: {why}", icon=":material/lightbulb:"
    )
    st.stop()
top = float(values.max()) if is_feature else None
height, width = values.shape[-2:]
why = pooling.problem(height, width, settings)
if why:
    linked_view.warning(why, icon=":material/lightbulb:")
    st.stop()

with linked_view:
    st.subheader("2. Check one window by hand")
    pooling.linked_windows(key, values, settings, top)
    st.markdown(
        "Move the pointer over the pooled map (or tap it): the gold box on the left is that "
        "cell's window, and every number in it is listed below. "
        + (
            "Max pooling keeps only the largest number: it is outlined in blue."
            if settings.mode == "max"
            else "Average pooling adds the numbers of a window and divides by how many there are."
        )
        + " **Play** walks the window over the map; arrow keys move it one cell."
    )

st.subheader("3. The output size")
out_shape = pooling.formula(height, width, settings)

st.subheader("4. Max and average pooling, side by side")
pooling.side_by_side(key, values, settings, top)

st.subheader("5. Pooling again and again")
st.markdown(
    "Every pooling shrinks the map again. Large shapes and strong edges survive; fine detail, "
    "thin lines and exact positions are lost."
)
pooling.repeated(key, values, settings, top)

st.subheader("6. The pipeline: convolution → ReLU → pooling")
st.markdown(
    "This is one block of a CNN. The convolution finds a pattern, ReLU keeps only the positive "
    "answers, pooling shrinks the result. The pipeline runs on the grey picture."
)
pooling.pipeline(picked, kernel, settings)

st.subheader("7. What pooling buys: small shifts matter less")
st.markdown(
    "Move the picture by a few pixels and compare before and after. The feature map moves with "
    "the picture, so many of its numbers change; after pooling, a winner that moved inside its "
    "window is still the winner."
)
pooling.shift_test(picked, kernel, settings)

st.subheader("8. Predict, then reveal")
pooling.question(values, settings, out_shape)

code = st.expander("The same in PyTorch or Keras", key="pool.open.code", on_change="rerun")
if code.open:  # closed boxes cost the server nothing: their content runs when opened
    with code:
        st.markdown(
            f"Both start from the map this page pools ({pooling.SOURCES[what][:1].lower()}"
            f"{pooling.SOURCES[what][1:]}) and use "
            f"your settings: {settings.text()}, {pooling.MODES[settings.mode].lower()}."
        )
        window = {"stride": settings.stride, "padding": settings.padding, "mode": settings.mode}
        code_box.code_tabs(
            pool_code(settings.size, **window),
            keras_pool_code(settings.size, **window),
            "Keras keeps the colour channels last, (H, W, C). Its pooling layers pad only with "
            "'same', so the exact padding is added first: minus infinity for max pooling, which "
            "never wins, and zeros for average pooling, which count.",
        )

loop = st.expander("How is this computed? The code", key="pool.open.loop", on_change="rerun")
if loop.open:
    with loop:
        st.markdown(
            "The app pools every window at once: it first combines the rows of each window "
            "(keeping the largest, or adding them up), then the columns, and divides for the "
            "average. Tests check it against PyTorch's `max_pool2d` and `avg_pool2d`."
        )
        st.code(inspect.getsource(pool_source), language="python")

next_step("pages/pooling.py")
