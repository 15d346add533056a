"""The confusion matrix and the mistakes read from it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnviz.confusion import class_accuracy, confusion_matrix, most_confused


def test_a_small_case_by_hand():
    """Rows are the true class, columns the prediction."""
    true = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 2, 0])
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    matrix = confusion_matrix(true, predicted, 3)
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64


@given(
    st.integers(1, 12).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), max_size=200),
        )
    )
)
def test_counts_add_up(case):
    """The total is N, row sums count each true class, the trace counts the right answers."""
    k, pairs = case
    true = np.array([t for t, _ in pairs], dtype=np.int64)
    predicted = np.array([p for _, p in pairs], dtype=np.int64)
    matrix = confusion_matrix(true, predicted, k)
    assert matrix.shape == (k, k) and matrix.sum() == len(pairs)
    np.testing.assert_array_equal(matrix.sum(1), np.bincount(true, minlength=k))
    np.testing.assert_array_equal(matrix.sum(0), np.bincount(predicted, minlength=k))
    assert np.trace(matrix) == int((true == predicted).sum())


def test_a_perfect_model_fills_only_the_diagonal():
    """All right: a diagonal matrix, nothing confused, every class at 100 %."""
    labels = np.arange(10).repeat(3)
    matrix = confusion_matrix(labels, labels, 10)
    np.testing.assert_array_equal(matrix, 3 * np.eye(10, dtype=np.int64))
    assert most_confused(matrix) == []
    np.testing.assert_allclose(class_accuracy(matrix), np.ones(10))


def test_most_confused_orders_the_mistakes():
    """The largest off-diagonal counts come first, the diagonal never appears."""
    matrix = np.array([[50, 7, 1], [2, 40, 9], [0, 3, 60]])
    assert most_confused(matrix, k=3) == [(1, 2, 9), (0, 1, 7), (2, 1, 3)]
    assert most_confused(matrix, k=1) == [(1, 2, 9)]


def test_class_accuracy_is_nan_for_an_absent_class():
    """A class with no test images has no accuracy (NaN), not 0."""
    matrix = confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 3)
    accuracy = class_accuracy(matrix)
    np.testing.assert_allclose(accuracy[:2], [0.5, 1.0])
    assert np.isnan(accuracy[2])


def test_empty_input_gives_zeros():
    """No predictions: a matrix of zeros."""
    empty = np.array([], dtype=np.int64)
    np.testing.assert_array_equal(confusion_matrix(empty, empty, 4), np.zeros((4, 4)))


@pytest.mark.parametrize(
    ("true", "predicted", "classes", "message"),
    [
        ([0, 1], [0], 2, "equally long"),
        ([0, 2], [0, 1], 2, "outside 0..1"),
        ([0, 1], [0, -1], 2, "outside 0..1"),
        ([0.0, 1.0], [0, 1], 2, "integer"),
        ([0], [0], 0, "at least 1"),
    ],
)
def test_bad_input_fails_loudly(true, predicted, classes, message):
    """Mismatched lengths, classes out of range, floats or no classes raise ValueError."""
    with pytest.raises(ValueError, match=message):
        confusion_matrix(np.array(true), np.array(predicted), classes)
