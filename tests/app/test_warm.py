"""The server's warm-up: it fills the caches the class shares, and can be switched off."""

import pytest

from cnnviz import explain
from cnnviz.explain import conv_layers
from ui import inside, models, warm


def test_switched_off_it_starts_nothing(monkeypatch):
    """CNNVIZ_WARM_UP=off (as in these page tests): no thread is started."""
    monkeypatch.setenv(warm.SWITCH, "off")
    assert warm.start() is None


def test_warm_up_leaves_the_peak_search_done_for_the_first_visitor(data_dir, monkeypatch):
    """After warm(), opening a layer's strongest test pictures searches nothing again."""
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(data_dir))
    inside._peaks.clear()  # as on a fresh server
    warm.warm()
    searched = []
    original = explain.channel_peaks

    def spy(*args, **kwargs):
        searched.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(inside, "channel_peaks", spy)
    for name in models.SUBJECTS:
        model = models.shipped_model(name)
        for layer in conv_layers(model):
            peaks = inside._peaks(f"shipped:{name}", name, str(data_dir), layer, model)
            assert peaks is not None
    assert searched == []


def test_warm_up_survives_a_damaged_weights_file(tmp_path, monkeypatch):
    """A broken network file is skipped (the page explains it); the warm-up does not crash."""
    (tmp_path / "fashion-mnist-cnn.safetensors").write_bytes(b"not a network")
    monkeypatch.setenv(models.ASSETS_ENV, str(tmp_path))
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))  # no test set either
    warm.warm()
    with pytest.raises(models.WeightsError):
        models.shipped_model("fashion-mnist")
