"""Train: a CNN and a dense network learn from the same images, live, side by side."""

import streamlit as st

from cnnviz.questions import conv_parameters_question
from pages.train import race, results, settings
from ui import address, quiz
from ui.boot import run_under_app
from ui.lessons import next_step

run_under_app()

st.title("Train")
st.markdown(
    "Train two networks yourself on the same images: a [CNN](/glossary#cnn), whose small "
    "[kernels](/glossary#kernel-filter) slide over the picture, and a dense network (an "
    "[MLP](/glossary#mlp)), which wires every pixel to every neuron and knows nothing about "
    "neighbours. Choose the data and the CNN's layers, press **Train** and watch both learn; "
    "then both are tested on images they have never seen."
)
address.gate(settings.PARAMS)
plan = settings.read_plan()
if plan is None:
    st.stop()
splits = settings.load_splits(plan.dataset)
if splits is None:
    st.stop()
settings.show_preview(plan, splits)
quiz.ask(
    "train",
    conv_parameters_question(plan.cnn.channels[0], plan.cnn.kernel_size, seed=quiz.seed("train")),
    intro="**Predict, then check:** how big is the CNN's first layer? Change its filters or "
    "kernel size above and predict again.",
    renew=False,  # the question is about these settings: new settings, new numbers
)

st.subheader("5. The race")
st.markdown(
    "Which learns more from one pass over the images, and which is quicker? Both networks "
    "train **at once**, taking turns step by step on the same computer, so both curves grow "
    "together and both get the same seconds. With “The same number of passes” they take one "
    "step each in turn; with “The same time” whoever has had less of the processor goes next. The "
    "defaults give the CNN a chance on a CPU: one conv block of 16 filters, 256 images per "
    "step, and a learning rate that warms up and then cools down exactly when time runs out."
)
race.start_button(plan, splits)
job = race.current_job()
results.publish(job)
if job is not None:
    race.live(job)
    results.show(job)
results.run_log()

next_step("pages/train.py")
