"""How a kernel learns: gradient descent on one 3 x 3 kernel, played in the browser."""

import inspect

import numpy as np
import streamlit as st

from cnnviz.learn import LearnConfig, gradient_loop, steps_to_within, weight_step
from pages.learn_kernel import view as learn_view
from ui import address, picker
from ui.boot import run_under_app
from ui.lessons import next_step
from ui.picker import picture_or_stop

run_under_app()

st.title("How a kernel learns")
st.markdown(
    "On the Convolution page you typed a kernel's numbers yourself. A CNN finds its own. "
    "Here you watch how. Pick a **target** kernel: the computer is only shown what the target "
    "does to the picture (the *target output*). It starts from **random numbers**, compares "
    "its own output with the target output, and nudges each of its nine numbers a little in "
    "the direction that makes the difference smaller. Again and again: that is **gradient "
    "descent**. Press **Play** and watch the numbers, the output and the loss."
)
address.gate(picker.PARAMS, learn_view.PARAMS)
picked = picture_or_stop()

target_box, rate_box, steps_box, seed_box = st.columns([2.2, 1, 1.4, 1], gap="medium")
with target_box:
    target = address.choice(learn_view.TARGET, "radio", horizontal=True)
with rate_box:
    rate = address.number(learn_view.RATE, format="%.3f")
with steps_box:
    steps = address.slider(learn_view.STEPS)
with seed_box:
    seed = learn_view.seed()
config = LearnConfig(target=target, rate=float(rate), steps=int(steps), seed=seed)

try:
    run = learn_view.run(picked.key, picked.pixels, config)
except ValueError as why:  # a flat or tiny picture: nothing to learn from
    st.warning(f"{why} Choose another picture in the sidebar.", icon=":material/image:")
    st.stop()

learn_view.animation("learn.view", run, target=config.target)

first, last = run.losses[0], run.losses[-1]
gap = float(np.abs(run.kernels[-1] - run.target).max())
summary = f"**Loss:** {first:.4f} at the start → {last:.6f} after {run.steps} steps" + (
    f" ({first / last:,.0f} times smaller)." if last > 0 and first / last >= 2 else "."
)
if run.blew_up:
    st.warning(
        f"**The steps were too big.** With learning rate {config.rate:g} each step "
        f"overshoots, so the loss grows instead of falling; the run stopped after {run.steps} "
        "steps. Try a smaller learning rate.",
        icon=":material/trending_up:",
    )
st.markdown(summary)
if config.target == "hidden":
    st.markdown(
        f"**Largest difference** between a learned number and the hidden kernel: {gap:.3f} "
        "(press **Show it** above the target to compare the numbers)."
    )
else:
    close = steps_to_within(run, 0.01)
    reached = (
        f" Every number is within 0.01 of the target from step {close} on."
        if close is not None
        else " Not every number is within 0.01 of the target yet: try more steps."
    )
    st.markdown(
        f"**Largest difference** between a learned number and the target: {gap:.3f}.{reached}"
    )
st.caption(
    f"The kernel learns on your picture made grey and shrunk to {run.picture.shape[0]} × "
    f"{run.picture.shape[1]} pixels, its numbers shifted and scaled to average 0 and spread "
    "1 (networks prepare their inputs like this too: learning goes much faster). There is "
    "no padding, so the outputs are "
    f"{run.target_output.shape[0]} × {run.target_output.shape[1]}."
)

st.subheader("1. What the computer measures: the loss")
st.markdown(
    f"The **error** of one output pixel is *output − target output*. The **loss** is the "
    f"average of the squared errors over all {run.target_output.size:,} output pixels: one "
    "number that is 0 only when the two outputs are the same. Learning means making it "
    "smaller. The curve under the animation uses a log scale: each line is ten times smaller "
    "than the one above it."
)

st.subheader("2. One step, written out")
st.markdown(
    "How does the computer know which way to move a number? For each weight it asks: if this "
    "number grew a little, would the loss grow or shrink, and how fast? That rate is the "
    "weight's **gradient** (its slope). For a kernel it is a simple sum: at every window "
    "position, take the picture pixel **this weight sits on** times the **error** at that "
    "position, add them all up, and multiply by 2 / (number of positions). Then the weight "
    "moves against its slope: *new = old − learning rate × gradient*."
)
cells = [(i, j) for i in range(3) for j in range(3)]
left, right = st.columns(2)
step = left.number_input(
    f"Which step? (0 to {run.steps - 1})",
    min_value=0,
    max_value=max(run.steps - 1, 0),
    value=0,
    key="learn.one.step",
)
cell = right.selectbox(
    "Which weight?",
    cells,
    index=4,
    format_func=lambda rc: f"row {rc[0]}, column {rc[1]}",
    key="learn.one.cell",
)
one = weight_step(run, min(int(step), run.steps - 1), cell)
i, j = one.cell
rows = "\n".join(
    f"| row {t.row}, column {t.col} | {t.pixel:.4f} | {t.error:.4f} | {t.product:.4f} |"
    for t in one.largest
)
st.markdown(
    f"At step {one.step}, the weight in row {i}, column {j} is **{one.old:.4f}**. Its "
    f"{one.count:,} terms, the {len(one.largest)} largest first:\n\n"
    "| window position | picture pixel under the weight | error there | pixel × error |\n"
    "|---|---:|---:|---:|\n"
    f"{rows}\n"
    f"| … and {one.count - len(one.largest):,} more | | | |\n"
)
st.markdown(
    f"- **Sum of all {one.count:,} terms:** {one.total:.4f}\n"
    f"- **Gradient** = 2 / {one.count:,} × {one.total:.4f} = **{one.gradient:.6f}**\n"
    f"- **New weight** = {one.old:.4f} − {one.rate:g} × {one.gradient:.6f} = "
    f"**{one.new:.4f}** (the run's kernel at step {one.step + 1} has "
    f"{float(run.kernels[one.step + 1][i, j]):.4f} here)"
)
st.caption(
    "A positive gradient means growing this number would make the loss larger, so it "
    "shrinks; a negative one, the other way. The other eight weights get their own sums at "
    "the same time, from the same error map."
)

st.subheader("3. A CNN does this for every kernel at once")
st.markdown(
    "This is what a layer of a convolutional network does while it trains, for all its "
    "kernels at once: dozens of kernels in each layer, each learned by the same rule. Two "
    "things differ. Nobody gives the network target kernels: the loss compares the "
    'network\'s final answer ("this is a shoe") with the right label, and the errors are '
    "passed back through every layer to each kernel. And it learns from thousands of "
    "pictures, not one. The kernels it ends up with are on **Inside a CNN**."
)
st.page_link(
    "pages/inside_cnn.py", label="See the learned kernels: Inside a CNN", icon=":material/hub:"
)
st.markdown(
    "**Try this.** Raise the learning rate until the loss runs away. Choose the *stripes* "
    "sample: the loss reaches almost 0 but the numbers stay far from the target, because a "
    "picture with stripes in one direction cannot tell many kernels apart."
)

with st.expander("How is this computed? The textbook loop"):
    st.markdown(
        "The app runs a fast version of this loop; tests check both against PyTorch's "
        "automatic gradients."
    )
    st.code(inspect.getsource(gradient_loop), language="python")

next_step("pages/learn_kernel.py")
