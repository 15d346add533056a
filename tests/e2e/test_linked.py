"""The linked views in a real browser: hover, click, keys and Play answer without the server."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from cnnviz import KERNELS, correlate2d, max_pool_winners, pool2d
from cnnviz.data import dataset_available, load_dataset
from cnnviz.explain import receptive_field
from cnnviz.images import downscale
from cnnviz.model import feature_maps, to_tensor
from cnnviz.mosaic import default_scale, feature_mosaic
from cnnviz.weights import load_model
from tests.e2e.conftest import screenshot, wait_until_idle
from tests.e2e.test_browser import assert_clean

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect
RNG = np.random.default_rng(13)
PHOTO = (RNG.random((40, 52)) * 255).astype(np.uint8)  # grey, small: no downscaling


class SentFrames:
    """Counts the websocket messages the page sends: a script rerun needs one. Make it before
    the page opens (it sees only websockets opened after it)."""

    def __init__(self, tab):
        self.count = 0
        tab.on("websocket", lambda ws: ws.on("framesent", self._sent))

    def _sent(self, _payload) -> None:
        self.count += 1


def open_linked(
    tab, url: str, tmp_path, query: str = "", page: str = "convolution", shape: str = "40 × 52"
):
    """``page`` with PHOTO uploaded; returns the linked view's root once it has numbers."""
    tab.goto(f"{url}/{page}{query}")
    wait_until_idle(tab)
    tab.get_by_text("Upload a picture").click()
    wait_until_idle(tab)
    photo = tmp_path / "photo.png"
    Image.fromarray(PHOTO).save(photo)
    tab.locator('input[type="file"]').set_input_files(str(photo))
    if shape:
        tab.get_by_text(shape).first.wait_for()
    wait_until_idle(tab)
    tab.locator(".lv-root[data-ready=true]").first.wait_for()
    return tab.locator(".lv-root").first


def output_image(tab):
    return tab.locator(".lv-pick img").first


def point_at(tab, row: int, col: int, shape: tuple[int, int]) -> tuple[float, float]:
    """The screen position of output pixel (row, col)'s centre."""
    box = output_image(tab).bounding_box()
    return (
        box["x"] + (col + 0.5) * box["width"] / shape[1],
        box["y"] + (row + 0.5) * box["height"] / shape[0],
    )


def shown(root) -> dict:
    return root.evaluate("e => ({...e.dataset})")


@pytest.mark.parametrize("size", ["256", "32"])
def test_hover_shows_the_servers_output_value_at_twenty_pixels(server, page, tmp_path, size):
    """For 20 random output pixels the browser's sum + bias equals correlate2d's output, with
    the picture at its own size (pixels sent as bytes) and shrunk (sent as float32)."""
    query = f"?conv.pad=Same+size&conv.stride_w=2&conv.bias=0.5&input.size={size}"
    root = open_linked(page, server, tmp_path, query, shape="40 × 52" if size == "256" else "")
    image = downscale(PHOTO.astype(np.float32) / 255, int(size))
    expected = correlate2d(image, KERNELS["sobel_x"].weights, padding=1, stride=(1, 2), bias=0.5)
    assert expected.shape == ((40, 26) if size == "256" else (25, 16))
    rows, cols = expected.shape
    for row, col in zip(RNG.integers(0, rows, 20), RNG.integers(0, cols, 20), strict=True):
        page.mouse.move(*point_at(page, row, col, expected.shape))
        state = shown(root)
        assert (int(state["row"]), int(state["col"])) == (row, col)
        assert float(state["value"]) == pytest.approx(float(expected[row, col]), abs=1e-5)
        words = root.locator(".lv-sum").inner_text()
        assert f"= {expected[row, col]:.4f}".replace("-", "−") in words
        assert f"(row {row}, column {col})" in words
    screenshot(page, f"linked-convolution-hover-{size}")
    assert_clean(page)


def test_click_pins_a_pixel_and_keys_move_it(server, page, tmp_path):
    """A click pins the pixel (no error box, ever); arrow keys move it; the pointer leaving
    shows the pinned one again; the sentence for screen readers follows."""
    root = open_linked(page, server, tmp_path)
    shape = (38, 50)
    for row, col in [(3, 4), (37, 49), (0, 0), (20, 11)]:
        page.mouse.click(*point_at(page, row, col, shape))
        assert (int(shown(root)["row"]), int(shown(root)["col"])) == (row, col)
    page.mouse.move(5, 5)  # off the picture: the pinned pixel stays shown
    assert (int(shown(root)["row"]), int(shown(root)["col"])) == (20, 11)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert (int(shown(root)["row"]), int(shown(root)["col"])) == (21, 12)
    assert "Output row 21, column 12" in root.locator(".lv-say").inner_text()
    page.mouse.move(*point_at(page, 7, 30, shape))  # hover, then Enter pins what is shown
    page.keyboard.press("Enter")
    page.mouse.move(5, 5)
    assert (int(shown(root)["row"]), int(shown(root)["col"])) == (7, 30)
    assert output_image(page).get_attribute("alt")
    time.sleep(1)
    assert_clean(page)


def test_play_moves_the_window_without_a_server_rerun(server, page, tmp_path):
    """Play walks at least 10 positions in 3 s and the page sends the server nothing."""
    frames = SentFrames(page)
    root = open_linked(page, server, tmp_path)
    time.sleep(1)
    before, start = frames.count, shown(root)
    assert before > 0, "the counter sees the messages that opened the page"
    root.get_by_role("button", name="▶ Play").click()
    time.sleep(3)
    state = shown(root)
    root.get_by_role("button", name="⏸ Pause").click()
    assert int(state.get("steps", 0)) >= 10
    assert (state["row"], state["col"]) != (start["row"], start["col"])
    assert frames.count == before, "Play made the page talk to the server"
    paused = shown(root)
    time.sleep(0.6)
    assert shown(root)["steps"] == paused["steps"], "Pause stops the window"
    assert_clean(page)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_hover_shows_the_winner_or_the_mean(server, page, tmp_path, mode):
    """Hovering a pooled cell shows pool2d's number; max pooling outlines max_pool_winners'
    winner, padding included (it never wins)."""
    label = {"max": "Max+pooling", "avg": "Average+pooling"}[mode]
    query = f"?pool.kh=3&pool.kw=3&pool.ph=1&pool.pw=1&pool.mode={label}"
    root = open_linked(page, server, tmp_path, query, page="pooling")
    root.scroll_into_view_if_needed()
    image = PHOTO.astype(np.float32) / 255
    expected = pool2d(image, 3, stride=2, padding=1, mode=mode)
    _, rows, cols = max_pool_winners(image, 3, stride=2, padding=1)
    cells = [
        (0, 0),
        *zip(
            RNG.integers(0, expected.shape[0], 11),
            RNG.integers(0, expected.shape[1], 11),
            strict=True,
        ),
    ]
    for row, col in cells:
        page.mouse.move(*point_at(page, row, col, expected.shape))
        state = shown(root)
        assert (int(state["row"]), int(state["col"])) == (row, col)
        assert float(state["value"]) == pytest.approx(float(expected[row, col]), abs=1e-6)
        if mode == "max":
            assert state["winner"] == f"{rows[row, col]},{cols[row, col]}"
    screenshot(page, f"linked-pooling-{mode}")
    assert_clean(page)


def test_a_new_setting_redraws_the_linked_view(server, page, tmp_path):
    """After a preset change the pinned pixel stays and its sum uses the new kernel."""
    root = open_linked(page, server, tmp_path)
    page.mouse.click(*point_at(page, 10, 20, (38, 50)))
    page.get_by_label("Kernel preset").click()
    page.get_by_role("option", name="Box blur 5x5").click()
    page.get_by_text("Kernel 5 × 5").first.wait_for()
    wait_until_idle(page)
    expected = correlate2d(PHOTO.astype(np.float32) / 255, KERNELS["box_blur_5"].weights)
    expect(page.locator(".lv-kernel td")).to_have_count(25)  # the new kernel arrived
    state = shown(root)
    assert (int(state["row"]), int(state["col"])) == (10, 20)
    assert float(state["value"]) == pytest.approx(float(expected[10, 20]), abs=1e-5)
    page.mouse.move(*point_at(page, 33, 47, expected.shape))
    assert float(shown(root)["value"]) == pytest.approx(float(expected[33, 47]), abs=1e-5)
    assert_clean(page)


def test_feature_map_hover_draws_the_receptive_field(server, page):
    """Hovering a cell of conv2's mosaic shows its value and its 8 x 8 field on the input;
    pool2's cells see 10 x 10, cut by the picture's edge where they hang over it."""
    if not dataset_available("fashion-mnist"):
        pytest.skip("needs the Fashion-MNIST test set (CNNVIZ_DATA_DIR, see README)")
    page.goto(f"{server}/inside_cnn?inside.index=7")
    wait_until_idle(page)
    root = page.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    model = load_model("fashion-mnist")
    pixels, _ = load_dataset("fashion-mnist", "test")
    outputs = dict(feature_maps(model, to_tensor(pixels[7])))
    for name, cells in [("conv2", [(20, 9, 10), (3, 0, 0)]), ("pool2", [(63, 4, 4), (5, 2, 1)])]:
        maps = outputs[name][0].numpy()
        conv = "conv" + name[-1]
        scale = default_scale(*outputs[conv][0].shape[1:])  # as the page draws it
        mosaic = feature_mosaic(maps, signed=name.startswith("conv"), scale=scale)
        picture = page.locator(f'.lv-pick[data-layer="{name}"] img').first
        picture.scroll_into_view_if_needed()
        box = picture.bounding_box()
        ratio = box["width"] / mosaic.picture.shape[1]
        field = receptive_field(model, name)
        for index, row, col in cells:
            y, x = mosaic.tile_origin(index)
            page.mouse.move(
                box["x"] + (x + (col + 0.5) * mosaic.scale) * ratio,
                box["y"] + (y + (row + 0.5) * mosaic.scale) * ratio,
            )
            state = shown(root)
            assert (state["layer"], state["map"], state["cell"]) == (
                name,
                str(index),
                f"{row},{col}",
            )
            assert float(state["value"]) == pytest.approx(float(maps[index, row, col]), abs=1e-5)
            top, left, bottom, right = field.box(row, col)
            clipped = f"{max(top, 0)},{max(left, 0)},{min(bottom, 28)},{min(right, 28)}"
            assert state["field"] == clipped
    screenshot(page, "linked-inside-field")
    assert_clean(page)


def test_colour_filter_explains_the_chosen_channel(server, page, tmp_path):
    """On a colour picture with one kernel per colour, the buttons pick the channel whose
    sum is shown; each equals that channel of correlate2d's output."""
    colour = (np.random.default_rng(5).random((30, 36, 3)) * 255).astype(np.uint8)
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    page.get_by_text("Upload a picture").click()
    wait_until_idle(page)
    photo = tmp_path / "colour.png"
    Image.fromarray(colour).save(photo)
    page.locator('input[type="file"]').set_input_files(str(photo))
    page.get_by_text("3 × 30 × 36").first.wait_for()
    wait_until_idle(page)
    root = page.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    image = np.moveaxis(colour, -1, 0).astype(np.float32) / 255
    expected = correlate2d(image, KERNELS["sobel_x"].weights)  # (3, 28, 34)
    for channel, name in enumerate(["red", "green", "blue"]):
        root.get_by_role("button", name=name, exact=True).click()
        page.mouse.move(*point_at(page, 11, 17, expected.shape[1:]))
        assert float(shown(root)["value"]) == pytest.approx(
            float(expected[channel, 11, 17]), abs=1e-5
        )
    assert_clean(page)


def set_range(locator, value: int) -> None:
    """Move a range slider to ``value`` as a drag would (an input event)."""
    locator.evaluate(
        "(e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', {bubbles: true})) }",
        value,
    )


@pytest.mark.parametrize(("stride", "hop"), [(1, (3, 3)), (2, (3, 2))])
def test_play_jumps_a_window_at_a_time_and_stops_at_the_last_pixel(
    server, page, tmp_path, stride, hop
):
    """Play's whole-window jump moves ceil(3 / stride) output pixels (the next window starts
    where this one ends), always shows the last row and column, ends on the last pixel and
    stays there; the page sends the server nothing."""
    frames = SentFrames(page)  # before the page opens its websocket, or it sees none
    root = open_linked(page, server, tmp_path, f"?conv.stride_w={stride}")
    rows, cols = 38, (52 - 3) // stride + 1
    root.locator("select").select_option("window")
    set_range(root.get_by_label("Play speed, steps per second"), 60)
    time.sleep(1)
    before = frames.count
    root.get_by_role("button", name="▶ Play").click()
    expect(root).to_have_attribute("data-ended", "true", timeout=60_000)
    state = shown(root)
    assert (int(state["row"]), int(state["col"])) == (rows - 1, cols - 1)
    assert state["playing"] == "false"
    assert root.get_by_role("button", name="▶ Play").is_visible()
    played_rows = len(range(0, rows - 1, hop[0])) + 1  # the last row is always shown
    played_cols = len(range(0, cols - 1, hop[1])) + 1
    assert int(state["steps"]) == played_rows * played_cols - 1
    time.sleep(0.8)
    assert shown(root)["steps"] == state["steps"], "Play stopped at the end"
    assert before > 0 and frames.count == before, "Play made the page talk to the server"
    assert_clean(page)


def test_dilation_marks_the_sampled_pixels_not_the_span(server, page, tmp_path):
    """With dilation 2 the nine gold squares sit on every second pixel of the 5 x 5 span,
    each one pixel of the input big, inside a thin outline of the span."""
    root = open_linked(page, server, tmp_path, "?conv.dil_h=2&conv.dil_w=2")
    page.mouse.click(*point_at(page, 6, 9, (36, 48)))
    picture = root.locator(".lv-frame img").first.bounding_box()
    cell = picture["width"] / 52
    taps = root.locator(".lv-tap").evaluate_all(
        "ts => ts.map(t => { const b = t.getBoundingClientRect(); return [b.x, b.y, b.width] })"
    )
    assert len(taps) == 9
    for k, (x, y, width) in enumerate(taps):
        i, j = divmod(k, 3)
        assert x - picture["x"] == pytest.approx((9 + 2 * j) * cell, abs=0.6)
        assert y - picture["y"] == pytest.approx((6 + 2 * i) * cell, abs=0.6)
        assert width == pytest.approx(cell, abs=0.6)
    span = root.locator(".lv-window").bounding_box()
    assert span["width"] == pytest.approx(5 * cell, abs=0.6)
    assert "9 gold squares" in root.locator(".lv-say").inner_text()


def test_the_window_box_is_the_windows_size_on_a_large_picture(server, page):
    """On the 256 x 256 sample a 3 x 3 window is three pixels of the picture wide (no
    10-pixel minimum), with a gold outline around it that grows in projector mode."""
    widths = {}
    for mode in ("false", "true"):
        page.goto(f"{server}/convolution?app.projector={mode}")
        wait_until_idle(page)
        root = page.locator(".lv-root[data-ready=true]").first
        root.wait_for()
        picture = root.locator(".lv-frame img").first.bounding_box()
        box = root.locator(".lv-window").bounding_box()
        assert box["width"] == pytest.approx(3 * picture["width"] / 256, abs=0.5)
        widths[mode] = float(
            root.locator(".lv-window").evaluate("e => parseFloat(getComputedStyle(e).outlineWidth)")
        )
    assert widths["false"] >= 4
    assert widths["true"] >= 1.5 * widths["false"]


def test_padding_is_named_not_numbered_below_zero(server, page, tmp_path):
    """With padding the title says so and the sentence names the padding rows and columns
    instead of row −1; without padding the title is just Input."""
    root = open_linked(page, server, tmp_path, "?conv.pad=Same+size")
    assert root.locator(".lv-title").first.inner_text() == "Input, padded"
    page.mouse.click(*point_at(page, 0, 0, (40, 52)))
    words = root.locator(".lv-say").inner_text()
    assert "rows 0 to 1 and 1 row of padding above" in words
    assert "columns 0 to 1 and 1 column of padding on the left" in words
    assert "−1" not in words and "-1" not in words
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    plain = page.locator(".lv-root[data-ready=true]").first
    plain.wait_for()
    assert plain.locator(".lv-title").first.inner_text() == "Input"


def test_phone_keeps_input_and_output_side_by_side_and_tables_on_screen(server, browser):
    """At 390 x 844 the input and output pictures share a row, and a 15 x 15 kernel's
    tables stay inside the screen (they shrink, or scroll sideways in their own box)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    try:
        kernel = ";".join([",".join(["0.01"] * 15)] * 15)
        tab.goto(f"{server}/convolution?conv.kernel={kernel}&conv.pad=Same+size")
        wait_until_idle(tab)
        root = tab.locator(".lv-root[data-ready=true]").first
        root.wait_for()
        expect(root.locator(".lv-table").first.locator("td")).to_have_count(225)
        pictures = root.locator(".lv-frame img")
        first, second = pictures.nth(0).bounding_box(), pictures.nth(1).bounding_box()
        assert first["y"] == pytest.approx(second["y"], abs=2)
        assert first["x"] + first["width"] <= second["x"]
        assert tab.evaluate("() => document.documentElement.scrollWidth") <= 390
        work = root.locator(".lv-work").bounding_box()
        assert work["x"] >= 0 and work["x"] + work["width"] <= 390
        screenshot_at(tab, "linked-convolution-phone-15x15", root)
        assert_clean(tab)
    finally:
        context.close()


def screenshot_at(tab, name: str, locator) -> None:
    """A screenshot of the screen with ``locator`` scrolled into it (the size stays)."""
    from tests.e2e.conftest import SHOTS

    locator.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"))


def test_keys_switch_the_layer_on_inside_a_cnn(server, page):
    """On the feature maps Shift + arrow keys and Page Up / Down switch the layer, an arrow
    past a layer's last row goes on to the next, and a button per layer does the same."""
    if not dataset_available("fashion-mnist"):
        pytest.skip("needs the Fashion-MNIST test set (CNNVIZ_DATA_DIR, see README)")
    page.goto(f"{server}/inside_cnn?inside.index=7")
    wait_until_idle(page)
    root = page.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    picture = root.locator('.lv-pick[data-layer="conv1"] img').first
    picture.scroll_into_view_if_needed()
    box = picture.bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 30)  # a cell of conv1's first row of maps
    page.mouse.move(5, 5)
    assert shown(root)["layer"] == "conv1"
    page.keyboard.press("Shift+ArrowDown")
    assert shown(root)["layer"] == "relu1"
    page.keyboard.press("PageDown")
    assert shown(root)["layer"] == "pool1"
    page.keyboard.press("Shift+ArrowUp")
    assert shown(root)["layer"] == "relu1"
    page.keyboard.press("End")  # the last row of the last map: one more arrow goes on
    page.keyboard.press("ArrowDown")
    assert shown(root)["layer"] == "pool1"
    root.get_by_role("button", name="conv2", exact=True).click()
    assert shown(root)["layer"] == "conv2"
    expect(root.get_by_role("button", name="conv2", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_clean(page)


def test_a_one_pixel_window_is_written_in_the_singular(server, page, tmp_path):
    """A 1 x 1 kernel has one product and a 1 x 1 pooling window one number: the sentences
    say so, never "the 1 products" or "the largest of the 1 numbers"."""
    root = open_linked(page, server, tmp_path, "?conv.kernel=2")
    expect(root.locator(".lv-sum")).to_contain_text("The only product = ")
    assert "1 products" not in root.inner_text()
    query = "?pool.kh=1&pool.kw=1&pool.sh=1&pool.sw=1"
    pooled = open_linked(page, server, tmp_path, query, page="pooling")
    expect(pooled.locator(".lv-sum")).to_contain_text("The window's only number is ")
    assert "1 numbers" not in pooled.inner_text()
