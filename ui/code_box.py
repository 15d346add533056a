"""The code box of a lesson: the same layer in PyTorch and in Keras, one tab each."""

import streamlit as st

KERAS_LAYOUT = (
    "Keras keeps the colour channels last, (H, W, C). Its own padding knows only 'valid' "
    "and 'same', so the exact padding is added first."
)


def code_tabs(torch_code: str, keras_code: str, keras_note: str = KERAS_LAYOUT) -> None:
    """Two tabs, PyTorch first; ``keras_note`` says how the Keras version differs."""
    in_torch, in_keras = st.tabs(["PyTorch", "Keras"])
    in_torch.code(torch_code, language="python")
    in_keras.caption(keras_note)
    in_keras.code(keras_code, language="python")
