"""pad2d against torch.nn.functional.pad."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import PADDING_MODES, pad2d
from cnnviz.padding import MODES
from tests.strategies import images

TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(image=images(), mode=st.sampled_from(PADDING_MODES), data=st.data())
def test_pad_matches_torch(image, mode, data):
    """Every mode pads exactly as torch does, for any valid amount per side."""
    h, w = image.shape[-2:]
    limit_h, limit_w = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(mode, (4, 4))
    top, bottom = (data.draw(st.integers(0, min(limit_h, 4))) for _ in range(2))
    left, right = (data.draw(st.integers(0, min(limit_w, 4))) for _ in range(2))
    ours = pad2d(image, (top, bottom, left, right), mode=mode)
    batch = torch.from_numpy(image.copy()).reshape(1, -1, h, w)
    ref = F.pad(batch, (left, right, top, bottom), mode=TORCH_MODE[mode])
    np.testing.assert_array_equal(ours, ref.reshape(ours.shape).numpy())


def test_the_mode_table_names_every_mode_with_torchs_name():
    """MODES holds exactly the modes of PaddingMode, each under torch's own name."""
    assert tuple(MODES) == PADDING_MODES
    assert {name: mode.torch for name, mode in MODES.items()} == TORCH_MODE


def test_reflect_does_not_repeat_edge():
    """Reflect mirrors about the edge pixel: abc -> cb|abc|ba."""
    out = pad2d(np.array([[1.0, 2.0, 3.0]]), (0, 0, 2, 2), mode="reflect")
    np.testing.assert_array_equal(out, [[3, 2, 1, 2, 3, 2, 1]])


def test_unknown_mode_names_the_allowed_ones():
    """A typo in the mode fails loudly and lists the four modes."""
    with pytest.raises(ValueError, match="zeros, reflect, replicate, circular"):
        pad2d(np.zeros((3, 3)), 1, mode="mirror")


def test_reflect_too_wide_explains():
    """Reflect padding as wide as the image is refused with the limit in words."""
    with pytest.raises(ValueError, match="at most 2 rows above and below and 2 columns"):
        pad2d(np.zeros((3, 3)), 3, mode="reflect")


@pytest.mark.parametrize(
    ("mode", "padding", "words"),
    [
        ("reflect", (9, 1, 1, 1), "at most 7 rows above and below and 7 columns left and right, "
         "but the padding asks for 9 rows at the top"),
        ("circular", (64, 0, 1, 26), "on a 1 × 1 picture it can add at most 1 row above and "
         "below and 1 column left and right, but the padding asks for 64 rows at the top and "
         "26 columns on the right"),
    ],
)  # fmt: skip
def test_too_much_padding_is_one_plain_sentence(mode, padding, words):
    """The refusal names the picture, the limit and the sides that ask too much, no tuples."""
    side = 1 if "1 × 1" in words else 8
    with pytest.raises(ValueError, match=words) as refused:
        pad2d(np.zeros((side, side)), padding, mode=mode)
    assert "(" not in str(refused.value)
