"""Shared fixtures. ``data_dir``: the real Fashion-MNIST / MNIST files, or a skip saying why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def find_data_dir() -> Path | None:
    """$CNNVIZ_DATA_DIR, else ``../shared/data`` beside the checkout, else None."""
    if os.environ.get("CNNVIZ_DATA_DIR"):
        return Path(os.environ["CNNVIZ_DATA_DIR"])
    shared = REPO.parent / "shared" / "data"
    return shared if shared.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder holding ``fashion-mnist/`` and ``mnist/`` IDX files; skips when there is none."""
    found = find_data_dir()
    if found is None or not found.is_dir():
        pytest.skip(
            "real datasets not found: set CNNVIZ_DATA_DIR or put shared/data beside the repo"
        )
    return found


def pytest_collection_modifyitems(items):
    """Browser tests are slow by nature: the quick suite (``-m "not slow"``) leaves them to the
    full one, which CI runs."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.slow)
