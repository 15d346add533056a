"""The app in a real browser: every page opens cleanly, uploads and links work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from cnnviz import KERNELS
from tests.e2e.conftest import pages_in_app, screenshot, wait_until_idle

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect
ERROR_WORDS = ("Traceback", "Error:", "StreamlitAPIException", "This app has encountered an error")


def page_text(tab) -> str:
    return tab.locator("section.stMain, [data-testid='stMain']").first.inner_text()


def assert_clean(tab) -> None:
    text = page_text(tab)
    assert not any(word in text for word in ERROR_WORDS), text[:2000]
    assert tab.locator("[data-testid='stException']").count() == 0


@pytest.mark.parametrize(("path", "title"), pages_in_app())
def test_every_page_opens_without_error(server, page, path, title):
    """Each registered page loads, shows its heading and no error text; a screenshot is kept."""
    page.goto(f"{server}/{path}")
    wait_until_idle(page)
    assert_clean(page)
    screenshot(page, f"page-{path or 'home'}")


def shapes_line(tab) -> str:
    return tab.locator("p", has_text="Shapes:").first.inner_text()


def test_upload_of_a_photo_changes_the_output(server, page, tmp_path):
    """Uploading a real photo through the browser's file dialog changes the shapes shown."""
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    before = shapes_line(page)
    rng = np.random.default_rng(0)
    photo = tmp_path / "holiday.jpg"
    Image.fromarray((rng.random((90, 120, 3)) * 255).astype(np.uint8)).save(photo, quality=90)
    page.get_by_text("Upload a picture").click()
    wait_until_idle(page)
    page.locator('input[type="file"]').set_input_files(str(photo))
    page.get_by_text(re.compile(r"input 3 × 90 × 120")).first.wait_for()
    wait_until_idle(page)
    assert shapes_line(page) != before
    assert "output 3 × 88 × 118" in shapes_line(page)
    assert_clean(page)
    screenshot(page, "convolution-upload")


def test_small_maps_are_enlarged_with_square_pixels(server, page):
    """Pooling's maps arrive as small PNGs and the browser draws them with square pixels,
    larger than they are; the number tables of the worked window are text, not pictures."""
    page.goto(f"{server}/pooling?input.size=32")
    wait_until_idle(page)
    maps = page.locator('[class*="st-key-sharp-pool-side"] img')
    expect(maps).to_have_count(3)  # before, max pooling, average pooling (they arrive apart)
    found = maps.evaluate_all(
        """images => images.map(i => ({
            rendering: getComputedStyle(i).imageRendering,
            natural: i.naturalWidth, shown: i.getBoundingClientRect().width, src: i.src}))"""
    )
    assert len(found) == 3  # before, max pooling, average pooling
    for image in found:
        assert image["rendering"] == "pixelated" and image["src"].endswith(".png")
        assert image["shown"] > 4 * image["natural"]  # a 32 or 16 px map fills its column
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    table = page.locator("table", has_text="products").first
    table.wait_for()
    assert table.locator("td").count() == 9  # a 3 x 3 kernel's nine products


def test_preset_change_rerenders(server, page):
    """Choosing another preset in the drop-down re-renders the kernel and the output."""
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    before = shapes_line(page)
    page.get_by_label("Kernel preset").click()
    page.get_by_role("option", name="Box blur 5x5").click()
    page.get_by_text(re.compile(r"Kernel 5 × 5")).first.wait_for()
    wait_until_idle(page)
    assert shapes_line(page) != before
    assert "conv.preset=Box+blur+5x5" in page.url or "Box%20blur%205x5" in page.url
    assert_clean(page)


def test_share_link_restores_settings(server, page):
    """A link with settings opens the page with those settings applied."""
    page.goto(f"{server}/convolution?conv.stride_h=3&conv.preset=Laplacian&conv.pad=Same+size")
    wait_until_idle(page)
    assert "/ 3⌋" in page_text(page)
    assert KERNELS["laplacian"].explanation in page_text(page)
    assert "output 86 × 256" in shapes_line(page)
    assert_clean(page)


def test_changing_a_control_updates_the_link(server, page):
    """Pressing + on the stride writes the new value into the address bar."""
    page.goto(f"{server}/convolution")
    wait_until_idle(page)
    stride = page.get_by_role("spinbutton", name="Stride down")
    stride.fill("2")
    stride.press("Enter")
    page.wait_for_url(re.compile(r"conv\.stride_h=2"))
    wait_until_idle(page)
    assert "output 127 × 254" in shapes_line(page)


def test_projector_mode_makes_text_bigger(server, page):
    """Switching projector mode on makes the page's paragraphs visibly larger."""
    page.goto(f"{server}/glossary")
    wait_until_idle(page)
    paragraph = page.locator("[data-testid='stMarkdownContainer'] p").first
    before = float(paragraph.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    page.get_by_role("switch", name="Projector mode (everything larger)").click(force=True)
    page.wait_for_url(re.compile(r"app\.projector=true"))
    wait_until_idle(page)
    after = float(paragraph.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert after >= before * 1.2
    screenshot(page, "glossary-projector")


def test_a_share_link_as_the_first_request_runs_under_the_app(browser):
    """On a fresh server, a deep link still gets app.py's navigation and sidebar."""
    from tests.e2e.conftest import start_server, stop_server

    process, url = start_server()
    try:
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.goto(f"{url}/glossary?app.projector=true")
        wait_until_idle(tab)
        navigation = tab.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Home" in navigation and "app" not in navigation.split()
        assert tab.get_by_role("switch", name="Projector mode (everything larger)").is_checked()
        tab.close()
    finally:
        stop_server(process)


def test_inside_a_cnn_predicts_an_uploaded_digit(server, page, tmp_path):
    """Upload a photo of a written 3 to the digits network: the page names a prediction."""
    from tests.test_preprocess import paper_digit

    picture = tmp_path / "three.png"
    Image.fromarray((paper_digit() * 255).astype(np.uint8)).save(picture)
    page.goto(f"{server}/inside_cnn")
    wait_until_idle(page)
    page.get_by_text("Handwritten digits (MNIST)").click()
    wait_until_idle(page)
    page.get_by_text("Upload a picture").first.click()
    wait_until_idle(page)
    page.locator('input[type="file"]').set_input_files(str(picture))
    prediction = page.get_by_text(re.compile(r"Prediction: \w+ \(\d+\.\d %\)")).first
    prediction.wait_for()
    assert "Prediction: 3" in prediction.inner_text()
    assert_clean(page)
    screenshot(page, "inside-upload")


PICTURE_PX = 300  # in projector mode the input and output are at least this big


def lesson_first_screen(tab) -> dict:
    """Where the linked view's pictures and worked sum sit, with the page scrolled to the top."""
    tab.evaluate("() => window.scrollTo(0, 0)")
    root = tab.locator(".lv-root[data-ready=true]").first
    root.wait_for()
    pictures = [box for box in root.locator(".lv-frame img").all()[:2]]
    return {
        "pictures": [p.bounding_box() for p in pictures],
        "sum": root.locator(".lv-sum").first.bounding_box(),
        "sidebar": tab.locator("[data-testid='stSidebar']").bounding_box(),
    }


@pytest.mark.parametrize(
    ("path", "smallest"),
    [
        ("convolution", PICTURE_PX),
        ("pooling", PICTURE_PX),
        ("convolution?conv.preset=gaussian_5", 0.7 * PICTURE_PX),  # taller tables: smaller
        ("pooling?pool.kh=5&pool.kw=5", 0.7 * PICTURE_PX),  # pictures, the sum still fits
    ],
)
def test_projector_first_screen_holds_the_pictures_and_the_worked_sum(server, page, path, smallest):
    """Projector mode at 1600 x 1000 with the sidebar open: the input and the output are at
    least ``smallest`` px wide, side by side, and the worked sum ends on the first screen, for
    a 3 x 3 and a 5 x 5 kernel, a 2 x 2 and a 5 x 5 window."""
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server}/{path}{'&' if '?' in path else '?'}app.projector=true")
    wait_until_idle(page)
    where = lesson_first_screen(page)
    assert where["sidebar"]["width"] > 200, "the sidebar is open"
    first, second = where["pictures"]
    for box in (first, second):
        assert box["width"] >= smallest and box["height"] >= smallest * 0.9
        assert box["x"] >= where["sidebar"]["width"]
    assert first["y"] == pytest.approx(second["y"], abs=2), "input and output side by side"
    assert where["sum"]["y"] + where["sum"]["height"] <= 1000, where["sum"]
    if path.startswith("convolution"):  # the padding choices wrap in the narrow column
        custom = page.locator("[data-testid='stButtonGroup'] button", has_text="Custom").first
        inside = custom.evaluate(
            """b => { const r = b.getBoundingClientRect();
                const c = b.closest('[data-testid="stColumn"]').getBoundingClientRect();
                return r.width > 0 && r.left >= c.left && r.right <= c.right + 0.5; }"""
        )
        assert inside, "the Custom padding choice is cut off"
    page.screenshot(path=str(screenshot_folder() / f"first-screen-{path}-projector.png"))


def test_projector_mode_enlarges_marks_grids_and_tables(server, page):
    """Projector mode makes the linked view's type, the gold outline, the number grids and
    the kernel table larger (the table still inside its column), and the table's toolbar
    leaves the Reset button uncovered."""
    sizes = {}
    for mode in ("false", "true"):
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.goto(f"{server}/convolution?app.projector={mode}")
        wait_until_idle(page)
        root = page.locator(".lv-root[data-ready=true]").first
        root.wait_for()
        cell = root.locator(".lv-work td").first
        editor = page.locator("[data-testid='stDataFrame']").first
        editor.scroll_into_view_if_needed()
        editor.hover()
        toolbar = page.locator("[data-testid='stElementToolbar']").first
        toolbar.wait_for()
        reset = page.get_by_role("button", name="Reset", exact=True).bounding_box()
        bar = toolbar.bounding_box()
        overlap_x = min(bar["x"] + bar["width"], reset["x"] + reset["width"]) - max(
            bar["x"], reset["x"]
        )
        overlap_y = min(bar["y"] + bar["height"], reset["y"] + reset["height"]) - max(
            bar["y"], reset["y"]
        )
        assert overlap_x <= 0 or overlap_y <= 0, f"the toolbar covers Reset ({mode})"
        grown = editor.bounding_box()
        bias = page.get_by_role("spinbutton", name="Bias (added after the sum)").bounding_box()
        assert grown["x"] + grown["width"] < bias["x"], f"the table spills over ({mode})"
        sizes[mode] = {
            "type": cell.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"),
            "line": root.locator(".lv-window").evaluate(
                "e => parseFloat(getComputedStyle(e).outlineWidth)"
            ),
            "editor": editor.bounding_box()["height"],
        }
    for what in ("type", "line", "editor"):
        assert sizes["true"][what] >= 1.2 * sizes["false"][what], (what, sizes)


def screenshot_folder():
    from tests.e2e.conftest import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_inside_a_cnn_shows_the_picture_and_its_answer_beside_the_controls(server, page):
    """Projector mode at 1600 x 1000: the network's input and its prediction sit to the
    right of the network and picture choices, on the first screen."""
    from cnnviz.data import dataset_available

    if not dataset_available("fashion-mnist"):
        pytest.skip("needs the Fashion-MNIST test set (CNNVIZ_DATA_DIR, see README)")
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server}/inside_cnn?app.projector=true")
    wait_until_idle(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    choice = page.get_by_text("Which trained network?").bounding_box()
    picture = page.locator("[class*='st-key-sharp-inside-input'] img").first.bounding_box()
    answer = page.get_by_text(re.compile(r"Prediction: .+ \(\d+\.\d %\)")).first.bounding_box()
    assert picture["x"] > choice["x"] + choice["width"] and answer["x"] > picture["x"]
    assert picture["width"] >= 250
    for box in (picture, answer):
        assert box["y"] + box["height"] <= 1000, box
    page.screenshot(path=str(screenshot_folder() / "first-screen-inside-projector.png"))
