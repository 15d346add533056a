"""Inside a CNN: a trained network's every layer, its kernels, one map up close, and its answer."""

from functools import partial

import streamlit as st

from cnnviz.model import layer_shapes
from cnnviz.questions import draw_flatten, draw_layer_shape, draw_parameters
from pages.inside_cnn import model, rewind, views
from pages.inside_cnn.picture import choose_picture
from ui import address, quiz
from ui.boot import run_under_app
from ui.lessons import next_step

run_under_app()

st.title("Inside a CNN")
st.markdown(
    "A trained [CNN](/glossary#cnn) stacks what you met on the other pages. Each "
    "[convolution](/glossary#convolution) layer slides many learned "
    "[kernels](/glossary#kernel-filter) over its input and makes one "
    "[feature map](/glossary#feature-map) per kernel; [ReLU](/glossary#relu) keeps the "
    "positive numbers and [max pooling](/glossary#max-pooling) halves each side (a quarter "
    "of the numbers remain). Then "
    "[flatten](/glossary#flatten) lays the maps in one row and "
    "[dense layers](/glossary#dense-layer-fully-connected) turn them into one score per class. "
    "Give the network a picture and follow it through."
)

address.gate(model.PARAMS)
controls, view = st.columns([1.2, 3], gap="medium")  # the picture and its answer beside
with controls:  # the controls a teacher changes, on the first screen
    st.subheader("1. The network and the picture")
    chosen = model.choose_model()
    if chosen is None:
        st.stop()
    chosen = rewind.choose_step(chosen)  # the same network earlier in its training
    picture = choose_picture(chosen)
    if picture is None:
        st.stop()

result = views.run(chosen, picture)
with view:
    st.subheader("2. What comes out: one probability per class")
    views.show_prediction(chosen, picture, result)
if picture.steps is not None:
    views.show_steps(picture.steps)

st.subheader("3. Every layer's feature maps")
st.markdown(
    "Each small square is one feature map: where it is red (after ReLU: bright), the picture "
    "has the pattern its kernel looks for. Scroll down the layers: ReLU wipes out the "
    "negative (blue) numbers, pooling keeps the strongest and halves each side, and the next "
    "convolution combines all the maps into new ones."
)
views.show_layers(chosen, picture, result)
shapes = layer_shapes(chosen.model.config)
avoid = {" × ".join(map(str, shape)) for _, shape in shapes}  # never what the page prints
avoid.add(f"{dict(shapes)['flatten'][0]:,}")
quiz.lesson(
    "inside",
    {
        "layer": ("One layer's shape", partial(draw_layer_shape, avoid=avoid)),
        "flatten": ("Flatten", partial(draw_flatten, avoid=avoid)),
        "weights": ("Weights to learn", draw_parameters),
    },
    "**Predict, then check.** These questions are about other networks than this one (its "
    "shapes are printed above): work each one out before you look. **New question** draws "
    "another network.",
)

st.subheader("4. The kernels the network learned")
st.markdown(
    "Nobody typed these numbers: training found them. The first layer's kernels look at "
    "pixels, often like the edge detectors on the Convolution page; the second layer's "
    "kernels look at the first layer's maps, one slice per map."
)
views.show_kernels(chosen)

st.subheader("5. One feature map up close")
views.channel_close_up(chosen, picture, result)

st.subheader("6. Flatten and the dense layers")
views.show_dense(chosen, picture, result)

st.subheader("7. Where did the network look?")
views.show_saliency(chosen, picture, result)

next_step("pages/inside_cnn.py")
