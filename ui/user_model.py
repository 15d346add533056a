"""The model this user trained: the contract between the Train page and the "Inside a CNN" page.

The Train page calls :func:`set_user_model` when a training ends; the "Inside a CNN" page calls
:func:`get_user_model` and, when it returns something, offers it beside the shipped model.
It lives in this user's ``st.session_state`` only: other users never see it, and the shipped
model (shared by everyone through ``ui.cache.resource``) is never touched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import streamlit as st
from torch import nn

from cnnviz.model import CNNConfig, count_parameters

KEY = "user_model"


@dataclass(frozen=True)
class UserModel:
    """A trained CNN in ``eval()`` mode with its gradients off, and what it was trained on."""

    model: nn.Module  # a private copy; pixels (N, 1, 28, 28) in [0, 1] -> logits (N, 10)
    dataset: str  # "fashion-mnist" or "mnist": the class names to show
    config: CNNConfig  # its architecture
    test_accuracy: float  # on the dataset's 10,000 test images, in [0, 1]
    parameters: int  # learnable numbers in the model

    @property
    def title(self) -> str:
        """Short label for a picker: ``"Your CNN (fashion-mnist, 87.9 % test accuracy)"``."""
        return f"Your CNN ({self.dataset}, {100 * self.test_accuracy:.1f} % test accuracy)"


def set_user_model(
    model: nn.Module, *, dataset: str, config: CNNConfig, test_accuracy: float
) -> UserModel:
    """Store an ``eval()``-mode, gradient-free copy of ``model`` as this user's model."""
    private = copy.deepcopy(model).eval()
    for parameter in private.parameters():
        parameter.requires_grad_(False)
    stored = UserModel(
        model=private,
        dataset=dataset,
        config=config,
        test_accuracy=float(test_accuracy),
        parameters=count_parameters(private),
    )
    st.session_state[KEY] = stored
    return stored


def get_user_model() -> UserModel | None:
    """This user's trained model, or None when they have not trained one yet."""
    stored = st.session_state.get(KEY)
    return stored if isinstance(stored, UserModel) else None


def forget_user_model() -> None:
    """Drop this user's model (the pages then show the shipped one only)."""
    st.session_state.pop(KEY, None)
