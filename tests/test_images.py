"""decode_image against a hostile corpus, and the small pixel helpers the pages use."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from PIL import Image

from cnnviz import images
from cnnviz.images import (
    LUMA_WEIGHTS,
    DecodedImage,
    ImageError,
    decode_image,
    downscale,
    to_grayscale,
    to_png_bytes,
    to_uint8,
    work_size,
)
from tests.hostile.make_corpus import encode, make_corpus, tiff_by_hand, upright_card

CORPUS = make_corpus()
BY_NAME = {case.name: case for case in CORPUS}


def case_id(case) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", case.name)[:40]


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_is_large_and_names_are_unique():
    """At least 45 files, none sharing a name."""
    assert len(CORPUS) >= 45
    assert len(BY_NAME) == len(CORPUS)


@pytest.mark.parametrize("case", [c for c in CORPUS if c.expect != "ok"], ids=case_id)
def test_refused_file_gets_its_specific_message(case):
    """Each refused file raises ImageError whose one plain sentence names what is wrong."""
    with pytest.raises(ImageError) as caught:
        decode_image(case.data)
    message = str(caught.value)
    assert case.expect in message
    assert message[0].isupper() and message.endswith(".")
    assert "BytesIO" not in message and "cannot identify" not in message  # no Pillow internals
    assert len(message) < 300


def test_expected_words_single_out_one_message():
    """The words each refused case expects appear in its own message and in no other one."""
    messages = {}
    for case in CORPUS:
        if case.expect != "ok":
            with pytest.raises(ImageError) as caught:
                decode_image(case.data)
            messages[case.name] = str(caught.value)
    for case in CORPUS:
        if case.expect != "ok":
            holders = {m for m in messages.values() if case.expect in m}
            assert holders == {messages[case.name]}, case.name
    assert len(set(messages.values())) >= 35  # a specific sentence per problem, not one for all


@pytest.mark.parametrize("case", [c for c in CORPUS if c.expect == "ok"], ids=case_id)
def test_accepted_file_decodes_to_expected_pixels(case):
    """Each accepted file gives read-only float32 pixels in [0, 1], the shape, note and corner."""
    decoded = decode_image(case.data)
    pixels = decoded.pixels
    assert isinstance(decoded, DecodedImage)
    assert pixels.dtype == np.float32 and not pixels.flags.writeable
    assert pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[0] == 3)
    assert pixels.min() >= 0 and pixels.max() <= 1
    if case.shape is not None:
        assert pixels.shape == case.shape
    if case.note is not None:
        assert any(case.note in note for note in decoded.notes), decoded.notes
    if case.corner is not None:
        assert_allclose(pixels[..., 0, 0], case.corner, atol=0.03)
    assert all(note.endswith(".") for note in decoded.notes)


def test_plain_files_get_no_notes():
    """An ordinary photo says nothing: notes are only for things done to the picture."""
    assert decode_image(BY_NAME["photo.bmp"].data).notes == ()
    assert decode_image(BY_NAME["progressive.jpg"].data).notes == ()
    assert decode_image(BY_NAME["phone-mpo.jpg"].data).notes == ()  # not "animated"


def test_format_comes_from_the_bytes_not_the_name():
    """A JPEG named .gif is a JPEG; the odd name with ../ and <script> changes nothing."""
    assert decode_image(BY_NAME["really-a-jpeg.gif"].data).format == "JPEG"
    assert decode_image(BY_NAME["anim.webp"].data).format == "WebP"
    odd = next(case for case in CORPUS if "../" in case.name)
    assert "<script>" in odd.name
    assert_allclose(
        decode_image(odd.data).pixels, decode_image(BY_NAME["NO_EXTENSION"].data).pixels
    )


@pytest.mark.parametrize("name", [f"exif-{tag}.jpg" for tag in range(1, 9)] + ["exif-6.png"])
def test_every_exif_orientation_comes_out_upright(name):
    """The same card stored in any of the eight orientations decodes to the upright card."""
    upright = upright_card() / np.float32(255)
    pixels = decode_image(BY_NAME[name].data).pixels
    assert_allclose(pixels, upright, atol=0.03)


@pytest.mark.parametrize("name", ["exif-6.webp", "exif-6.tif"])
def test_exif_orientation_in_webp_and_tiff(name):
    """WebP and TIFF (which Pillow rotates while loading) are rotated exactly once."""
    pixels = to_grayscale(decode_image(BY_NAME[name].data).pixels)
    assert_allclose(pixels, upright_card() / np.float32(255), atol=0.01)


def test_sixteen_bit_is_scaled_not_clipped():
    """65535 -> 1.0, 32768 -> about 0.5 (Pillow's convert('L') would make both 1.0)."""
    values = np.array([[0, 255, 32768, 65535]], dtype=np.uint16)
    pixels = decode_image(encode(Image.fromarray(values), "PNG")).pixels
    assert_allclose(pixels, values / 65535, atol=1e-6)
    assert pixels[0, 3] == 1.0


def test_float_image_already_in_range_is_kept():
    """A float TIFF with values in [0, 1] is used as stored, without a note."""
    values = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    decoded = decode_image(encode(Image.fromarray(values), "TIFF"))
    assert_allclose(decoded.pixels, values)
    assert decoded.notes == ()


@pytest.mark.parametrize("name", ["float-huge.tif", "uint32.tif", "uint32-no-format.tif"])
def test_extreme_numbers_are_stretched_honestly(name):
    """Float32 from -3e38 to 3e38 and unsigned 32-bit values up to 2**32 - 1: finite pixels
    rising left to right as the stored values do (no NaN from an overflowing difference, no
    wrap to negative numbers from reading unsigned values as signed)."""
    pixels = decode_image(BY_NAME[name].data).pixels
    assert np.isfinite(pixels).all()
    assert pixels.min() == 0 and pixels.max() == 1
    assert (np.diff(pixels.ravel()) >= 0).all()
    assert_allclose(pixels.ravel(), np.linspace(0, 1, pixels.size), atol=1e-3)


def test_original_size_is_as_stored():
    """original_size is the stored (width, height), before EXIF rotation."""
    decoded = decode_image(BY_NAME["exif-6.jpg"].data)
    assert decoded.original_size == (32, 48)
    assert decoded.pixels.shape == (32, 48)


def test_limits_can_be_lowered_per_call():
    """max_pixels and max_bytes are honoured and named in the message."""
    png = BY_NAME["photo.bmp"].data
    with pytest.raises(ImageError, match="limit is 0.0005 megapixels"):
        decode_image(png, max_pixels=500)
    with pytest.raises(ImageError, match="is 1.1 MB; the limit is 1 MB"):
        decode_image(png + bytes(10**6), max_bytes=10**6)


# --- work_pixels: huge pictures come out shrunk -------------------------------------------


@pytest.mark.parametrize(
    ("size", "limit", "expected"),
    [
        ((8000, 5000), 2_000_000, (1788, 1118)),
        ((5000, 8000), 2_000_000, (1118, 1788)),
        ((100_000, 400), 2_000_000, (22360, 89)),
        ((1000, 500), 2_000_000, (1000, 500)),
        ((3, 1), 1, (1, 1)),
    ],
)
def test_work_size_keeps_aspect_within_the_limit(size, limit, expected):
    """The size is scaled down (never up) to at most ``limit`` pixels, aspect kept."""
    assert work_size(size, limit) == expected
    assert expected[0] * expected[1] <= max(limit, 1)


@pytest.mark.parametrize("case", [c for c in CORPUS if c.expect == "ok"], ids=case_id)
def test_work_pixels_shrinks_every_accepted_kind_like_downscale(case):
    """Any accepted file decoded with a small work_pixels has at most that many pixels, the
    same channels, notes and overall brightness as the full decode."""
    full = decode_image(case.data)
    height, width = full.pixels.shape[-2:]
    limit = max(1, height * width // 5)
    small = decode_image(case.data, work_pixels=limit)
    expected = work_size((width, height), limit)
    assert small.pixels.shape[-2:] == expected[::-1]
    assert small.pixels.shape[:-2] == full.pixels.shape[:-2]
    assert small.pixels.dtype == np.float32 and not small.pixels.flags.writeable
    assert small.notes == full.notes and small.original_size == full.original_size
    assert small.shrunk == (expected != (width, height)) and not full.shrunk
    means = (p.mean(axis=(-2, -1)) for p in (small.pixels, full.pixels))
    assert_allclose(*means, atol=0.03)  # the corpus photos are noise: compare averages


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_work_pixels_matches_shrinking_the_full_decode(fmt):
    """On a smooth 3000 x 2000 picture, decoding shrunk gives the full decode shrunk by area
    afterwards, to 1/255 (JPEG: it decodes at a reduced scale, to 2/255 on average)."""
    y, x = np.mgrid[0:2000, 0:3000]
    rgb = np.stack([x / 3000 * 255, y / 2000 * 255, (x + y) % 256], axis=-1).astype(np.uint8)
    data = encode(Image.fromarray(rgb), fmt)
    full, small = decode_image(data), decode_image(data, work_pixels=600_000)
    expected = images._resize_area(full.pixels, work_size((3000, 2000), 600_000))
    assert small.pixels.shape == expected.shape == (3, 632, 948)
    gap = np.abs(small.pixels - expected)
    assert gap.mean() < (2 / 255 if fmt == "JPEG" else 1 / 255)


def test_forty_megapixels_come_out_at_the_work_size_averaged():
    """An 8000 x 5000 PNG, left half black and right half white, decodes at 2 MP to the same
    halves (the boundary column is grey) without the 480 MB of floats of the full picture."""
    values = np.zeros((5000, 8000), np.uint8)
    values[:, 4000:] = 255
    decoded = decode_image(
        encode(Image.fromarray(values).convert("RGB"), "PNG"), work_pixels=2_000_000
    )
    assert decoded.pixels.shape == (3, 1118, 1788) and decoded.shrunk
    assert decoded.original_size == (8000, 5000)
    assert decoded.pixels[:, :, :893].max() == 0 and decoded.pixels[:, :, 895:].min() == 1


def test_shrunk_jpeg_is_still_rotated_upright():
    """EXIF orientation is applied to the shrunk picture as to the full one."""
    upright = upright_card() / np.float32(255)
    decoded = decode_image(BY_NAME["exif-6.jpg"].data, work_pixels=24 * 16)
    assert decoded.pixels.shape == (16, 24)
    assert_allclose(decoded.pixels, downscale(upright, 24), atol=0.06)


def test_not_bytes_is_a_programming_error():
    """Passing a path instead of bytes is a TypeError, not a student's mistake."""
    with pytest.raises(TypeError):
        decode_image("photo.png")  # type: ignore[arg-type]


def test_warning_filters_are_left_as_they_were():
    """Decoding does not leave the process's warning filters changed."""
    before = list(warnings.filters)
    for name in ("bomb-100mp.jpg", "exif-junk.jpg", "photo.bmp"):
        with contextlib.suppress(ImageError):
            decode_image(BY_NAME[name].data)
    assert warnings.filters == before


MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"]


@pytest.mark.parametrize("mode", MODES + ["I;16", "I;16B", "I", "F"])
def test_every_pillow_mode_converts(mode):
    """Every mode Pillow can hand over, including ones no accepted format stores, converts."""
    pixels, _ = images._to_array(Image.new(mode, (5, 3)))
    assert pixels.dtype == np.float32 and pixels.shape in {(3, 5), (3, 3, 5)}
    assert pixels.min() >= 0 and pixels.max() <= 1


# --- robustness: nothing but ImageError, and nothing on disk ----------------------------------

SEEDS = [c.data for c in CORPUS if c.expect == "ok" and len(c.data) < 20_000]


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.sampled_from(SEEDS), st.integers(0, 10**9), st.binary(min_size=1, max_size=4))
def test_damaged_files_raise_only_image_error(data, where, junk):
    """Overwriting or cutting any bytes of a good file gives finite pixels in [0, 1] or an
    ImageError."""
    position = where % len(data)
    for damaged in (data[:position] + junk + data[position + len(junk) :], data[:position]):
        with contextlib.suppress(ImageError):
            pixels = decode_image(damaged).pixels
            assert np.isfinite(pixels).all() and 0 <= pixels.min() <= pixels.max() <= 1


NUMBER_TIFFS = {np.float32: 3, np.int32: 2, np.uint32: 1}  # dtype -> TIFF SampleFormat


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.sampled_from(list(NUMBER_TIFFS)).flatmap(
        lambda dtype: arrays(
            dtype,
            st.tuples(st.integers(1, 6), st.integers(1, 6)),
            elements=st.floats(width=32) if dtype is np.float32 else None,
        )
    )
)
def test_any_numbers_in_a_tiff_become_finite_pixels_in_their_order(values):
    """Float32 (NaN, infinities, ±3.4e38 included), int32 and uint32 pixels of any size come
    out finite, in [0, 1], and a larger stored number is never a darker pixel."""
    data = tiff_by_hand(values, NUMBER_TIFFS[values.dtype.type])
    pixels = decode_image(data).pixels.astype(np.float64)
    assert np.isfinite(pixels).all() and pixels.min() >= 0 and pixels.max() <= 1
    usable = np.isfinite(values.astype(np.float64)).ravel()
    stored, shown = values.astype(np.float64).ravel()[usable], pixels.ravel()[usable]
    order = np.argsort(stored, kind="stable")
    assert (np.diff(shown[order]) >= -1e-6).all()


_WATCH = {"on": False, "writes": []}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


def _watch_writes(event: str, args: tuple) -> None:
    """Audit hook (cannot be removed once added): records writes while the flag is on."""
    if not _WATCH["on"]:
        return
    if event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and set(mode) & set("wax+")) or (flags or 0) & _WRITE_FLAGS:
            _WATCH["writes"].append(f"open {path!r} {mode!r}")
    elif event in {"os.remove", "os.rename", "os.mkdir", "tempfile.mkstemp", "tempfile.mkdtemp"}:
        _WATCH["writes"].append(f"{event} {args!r}")


sys.addaudithook(_watch_writes)


def _decode_all() -> None:
    for case in CORPUS:
        with contextlib.suppress(ImageError):
            decode_image(case.data)


def test_decoding_the_whole_corpus_writes_no_file():
    """No file is opened for writing, created or removed while decoding every case."""
    _decode_all()  # first pass outside the watch: lazy imports may write .pyc files
    _WATCH["on"] = True
    try:
        _decode_all()
    finally:
        _WATCH["on"] = False
    assert _WATCH["writes"] == []


def test_the_write_watch_does_see_writes(tmp_path):
    """The audit hook itself works (or the test above would prove nothing)."""
    _WATCH["on"] = True
    try:
        (tmp_path / "x.txt").write_text("x")
    finally:
        _WATCH["on"] = False
    found, _WATCH["writes"] = _WATCH["writes"], []
    assert found


def test_make_corpus_writes_inside_its_folder(tmp_path):
    """Written cases keep their bytes, and odd names like ../ never leave the folder."""
    written = make_corpus(tmp_path)
    assert {p.parent for p in tmp_path.rglob("*")} == {tmp_path}
    for case in written:
        assert case.path is not None and case.path.parent == tmp_path
        assert case.path.read_bytes() == case.data


# --- helpers ------------------------------------------------------------------------------


def test_to_grayscale_uses_itu_601_weights():
    """(0.2, 0.4, 0.6) -> 0.299*0.2 + 0.587*0.4 + 0.114*0.6 = 0.363; white stays 1."""
    rgb = np.array([0.2, 0.4, 0.6], dtype=np.float32).reshape(3, 1, 1)
    assert_allclose(to_grayscale(rgb), [[0.363]], atol=1e-6)
    assert_allclose(to_grayscale(np.ones((3, 2, 2), np.float32)), np.ones((2, 2)), atol=1e-6)
    assert sum(LUMA_WEIGHTS) == pytest.approx(1.0)


def test_to_grayscale_matches_pillow_and_keeps_grey():
    """Agrees with Pillow's convert('L') to one level; a grey array is returned as is."""
    rgb = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).convert("L")) / 255
    ours = to_grayscale(np.moveaxis(rgb, -1, 0) / np.float32(255))
    assert ours.shape == (20, 30) and ours.dtype == np.float32
    assert_allclose(ours, pillow, atol=1 / 255 + 1e-6)
    grey = np.zeros((4, 4), np.float32)
    assert to_grayscale(grey) is grey


@pytest.mark.parametrize(
    ("shape", "max_side", "expected"),
    [
        ((1000, 500), 100, (100, 50)),
        ((3, 500, 1000), 100, (3, 50, 100)),
        ((1, 100_000), 256, (1, 256)),
        ((100_000, 1), 256, (256, 1)),
        ((30, 20), 100, (30, 20)),
        ((3, 30, 20), 30, (3, 30, 20)),
    ],
)
def test_downscale_keeps_aspect_and_never_enlarges(shape, max_side, expected):
    """The longer side becomes max_side, the aspect ratio stays, small images are untouched."""
    assert downscale(np.zeros(shape, np.float32), max_side).shape == expected


def test_downscale_averages_areas():
    """Area interpolation: each 2x2 block becomes its mean; small input comes back unchanged."""
    pixels = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert_allclose(downscale(pixels, 2), [[2.5, 4.5], [10.5, 12.5]])
    assert downscale(pixels, 4) is pixels
    with pytest.raises(ValueError, match="max_side"):
        downscale(pixels, 0)


def test_to_uint8_rounds_clips_and_moves_channels_last():
    """0.5 -> 128, out-of-range values are clipped, NaN -> 0, (3, H, W) -> (H, W, 3)."""
    grey = np.array([[0.0, 0.5, 1.0, 2.0, -1.0, np.nan]], dtype=np.float32)
    assert to_uint8(grey).tolist() == [[0, 128, 255, 255, 0, 0]]
    rgb = np.zeros((3, 2, 5), np.float32)
    rgb[0] = 1
    out = to_uint8(rgb)
    assert out.shape == (2, 5, 3) and out[0, 0].tolist() == [255, 0, 0]
    with pytest.raises(ValueError, match=r"\(H, W\) or \(3, H, W\)"):
        to_uint8(np.zeros((4, 2, 2)))


def test_png_bytes_round_trip():
    """to_png_bytes makes a PNG that decodes back to the same pixels (to 1/255)."""
    rgb = np.random.default_rng(4).random((3, 6, 7)).astype(np.float32)
    back = decode_image(to_png_bytes(rgb))
    assert back.format == "PNG"
    assert_allclose(back.pixels, rgb, atol=0.5 / 255 + 1e-6)
    grey = to_uint8(rgb[0])
    assert_allclose(decode_image(to_png_bytes(grey)).pixels * 255, grey)
    assert Image.open(io.BytesIO(to_png_bytes(to_uint8(rgb)))).size == (7, 6)


def test_the_upload_limit_is_one_number():
    """The uploaders refuse, the decoder refuses and the server is configured at one size:
    25 MB of 10**6 bytes, as the browser counts (25 MiB let 1.2 MB more through the code)."""
    config = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    server = tomllib.loads(config.read_text(encoding="utf-8"))["server"]
    assert server["maxUploadSize"] == images.MAX_MEGABYTES == 25
    assert images.MAX_BYTES == images.MAX_MEGABYTES * 10**6
    over = b"\xff\xd8\xff" + bytes(images.MAX_BYTES - 2)
    with pytest.raises(ImageError, match="the limit is 25 MB"):
        decode_image(over)


@pytest.mark.parametrize(
    ("name", "words"),
    [("photo.tga", "TGA (Targa)"), ("old.tga", "TGA (Targa)"), ("cursor.cur", "cursor (CUR)"),
     ("notes.bmp", "contains text")],
)  # fmt: skip
def test_look_alike_headers_are_named_for_what_they_are(name, words):
    """A TGA is not a cursor; text starting with "BM" is text, not a huge bitmap."""
    with pytest.raises(ImageError, match=re.escape(words)) as refused:
        decode_image(BY_NAME[name].data)
    assert "pixels" not in str(refused.value)
