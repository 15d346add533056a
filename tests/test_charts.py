"""Line charts as SVG: valid markup, one line per series, y from 0, labels escaped."""

import math
import xml.etree.ElementTree as ET

import pytest

from cnnviz.charts import _ticks, line_chart_svg

NS = "{http://www.w3.org/2000/svg}"


def chart(**options):
    lines = {"feature map": (10.0, 40.0, 80.0), "pooled <map>": (5.0, 8.0, math.inf)}
    svg = line_chart_svg((1, 2, 3), lines, xlabel="shift", ylabel="change (%)", **options)
    return ET.fromstring(svg)


def test_one_polyline_per_series_and_a_dot_per_finite_value():
    """Each series is a line with a dot per finite point; an infinite value is left out."""
    root = chart()
    lines = root.findall(f"{NS}polyline")
    assert [len(p.get("points").split()) for p in lines] == [3, 2]
    assert len(root.findall(f"{NS}circle")) == 5


def test_labels_are_escaped_text():
    """Series names are text, not markup: '<map>' stays literal."""
    texts = [t.text for t in chart().iter(f"{NS}text")]
    assert "pooled <map>" in texts and "shift" in texts and "change (%)" in texts


def test_mark_draws_a_dashed_line():
    """``mark`` adds one dashed vertical line."""
    dashed = [e for e in chart(mark=2).iter(f"{NS}line") if e.get("stroke-dasharray")]
    assert len(dashed) == 1 and dashed[0].get("x1") == dashed[0].get("x2")


@pytest.mark.parametrize(("top", "last"), [(80, 80), (83, 100), (0.7, 0.8), (0, 1)])
def test_ticks_start_at_zero_and_cover_the_top(top, last):
    """Ticks run from 0 in round steps to at least the largest value."""
    ticks = _ticks(top)
    assert ticks[0] == 0 and ticks[-1] >= top
    assert ticks[-1] == pytest.approx(last)


def test_lengths_must_match():
    """A series with the wrong number of values is refused."""
    with pytest.raises(ValueError, match="one y value per x value"):
        line_chart_svg((1, 2), {"a": (1.0,)}, xlabel="x", ylabel="y")


def test_text_scale_grows_type_lines_and_dots_together():
    """``text=1.25`` writes every number and label 1.25 times larger, with thicker lines and
    larger dots, in the same chart size."""
    normal, projector = chart(mark=2), chart(mark=2, text=1.25)
    assert normal.get("viewBox") == projector.get("viewBox")
    sizes = [
        (float(a.get("font-size")), float(b.get("font-size")))
        for a, b in zip(normal.iter(f"{NS}text"), projector.iter(f"{NS}text"), strict=True)
    ]
    assert sizes and all(b == pytest.approx(1.25 * a) for a, b in sizes)
    line = [float(e.get("stroke-width")) for e in (normal, projector)
            for e in [e.find(f"{NS}polyline")]]  # fmt: skip
    assert line[1] == pytest.approx(1.25 * line[0], abs=0.1)
    dots = [float(e.find(f"{NS}circle").get("r")) for e in (normal, projector)]
    assert dots[1] == pytest.approx(1.25 * dots[0], abs=0.1)


@pytest.mark.parametrize("text", [0, 0.2, 10, math.nan])
def test_text_scale_out_of_range_is_refused(text):
    """A text scale that would hide or swamp the chart is refused, naming the range."""
    with pytest.raises(ValueError, match="between 0.5 and 3"):
        chart(text=text)
