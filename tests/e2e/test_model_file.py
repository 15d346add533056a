"""A student keeps the CNN they trained: in chromium, train on the Train page, download the
file, come back in a new visit, upload it on Inside a CNN, and see that network's own answer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch

from cnnviz.data import CLASS_NAMES, dataset_available, load_dataset
from cnnviz.model_file import from_bytes
from tests.app.test_model_upload import own_answer
from tests.e2e.conftest import screenshot, wait_until_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not dataset_available("fashion-mnist"),
        reason="Fashion-MNIST not found: set CNNVIZ_DATA_DIR to the folder holding fashion-mnist/",
    ),
]
QUICK = "train.subset=1000&train.mode=epochs&train.epochs=1"  # one pass over 1,000 images


def test_a_downloaded_cnn_comes_back_in_a_new_visit(server, browser, tmp_path: Path):
    """The file the browser downloads is accepted on Inside a CNN in a new visit, which then
    predicts what that network predicts; a pickle uploaded after it is refused in words."""
    trainer = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    student = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        tab = trainer.new_page()
        tab.set_default_timeout(180_000)
        tab.goto(f"{server}/train?{QUICK}")
        wait_until_idle(tab, 90)
        tab.get_by_role("button", name="Train both networks").click()
        button = tab.get_by_role("button", name="Download your CNN")
        button.wait_for()
        with tab.expect_download() as download:
            button.click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix == ".safetensors"
        model, card = from_bytes(path.read_bytes())  # what was downloaded is a valid file
        assert card.dataset == "fashion-mnist" and card.training_images == 1_000

        later = student.new_page()  # another visit: nothing of the first session
        later.set_default_timeout(90_000)
        later.goto(f"{server}/inside_cnn")
        wait_until_idle(later, 90)
        later.get_by_text("A network you trained (upload its file)").click()
        later.locator('input[type="file"]').first.set_input_files(str(path))
        later.get_by_text("You are looking inside your own network").wait_for()
        pixels, _ = load_dataset("fashion-mnist", "test")
        best, probabilities = own_answer(model, pixels[0])
        answer = f"Prediction: {CLASS_NAMES['fashion-mnist'][best]} ({probabilities[best]:.1f} %)"
        later.get_by_text(answer).wait_for()
        screenshot(later, "model-file-uploaded")

        pickle = tmp_path / "model.pt"
        buffer = io.BytesIO()
        torch.save({"conv1.weight": torch.zeros(16, 1, 3, 3)}, buffer)
        pickle.write_bytes(buffer.getvalue())
        later.locator('input[type="file"]').first.set_input_files(str(pickle))
        later.get_by_text("holds a pickle").wait_for()
        assert later.locator('[data-testid="stException"]').count() == 0
    finally:
        trainer.close()
        student.close()
