"""The confusion matrix: which classes a model mixes up, counted from its predictions."""

from __future__ import annotations

import numpy as np


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """int64 ``(classes, classes)``: entry ``[i, j]`` counts images of class ``i`` predicted ``j``.

    ``true`` and ``predicted`` are integer class indices ``(N,)`` in ``0 .. classes - 1``. Each
    row sums to the number of test images of that class; the diagonal holds the right answers.
    """
    true, predicted = np.asarray(true), np.asarray(predicted)
    if classes < 1:
        raise ValueError(f"classes must be at least 1, got {classes}")
    if true.shape != predicted.shape or true.ndim != 1:
        raise ValueError(
            f"true and predicted must be 1-D and equally long, got {true.shape} and "
            f"{predicted.shape}"
        )
    for name, values in (("true", true), ("predicted", predicted)):
        if values.size and not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"{name} must hold integer class indices, got {values.dtype}")
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise ValueError(
                f"{name} holds class {values.min() if values.min() < 0 else values.max()}, "
                f"outside 0..{classes - 1}"
            )
    flat = true.astype(np.int64) * classes + predicted.astype(np.int64)  # (N,) cell index
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def most_confused(matrix: np.ndarray, k: int = 3) -> list[tuple[int, int, int]]:
    """The ``k`` largest mistakes as ``(true class, predicted class, count)``, largest first.

    Only cells off the diagonal with a count above 0; ties keep the row-major order.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {matrix.shape}")
    mistakes = matrix.astype(np.int64).copy()
    np.fill_diagonal(mistakes, 0)
    order = np.argsort(-mistakes, axis=None, kind="stable")[:k]
    pairs = [
        (int(i), int(j)) for i, j in zip(*np.unravel_index(order, mistakes.shape), strict=True)
    ]
    return [(i, j, int(mistakes[i, j])) for i, j in pairs if mistakes[i, j] > 0]


def class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """float ``(classes,)``: the share of each class's images predicted right (NaN if none)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / totals, np.nan)
