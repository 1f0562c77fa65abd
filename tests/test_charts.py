"""Charts are PNGs that depend only on their numbers; a report is one self-contained HTML page."""

from __future__ import annotations

import pytest

from rapport.charts import Section, bar_chart, html_report


def test_a_bar_chart_is_a_png_that_depends_only_on_its_numbers() -> None:
    first = bar_chart("Offers", ["vip", "loyal"], {"current": [3, 5], "candidate": [4, 5]}, ylabel="tickets")
    again = bar_chart("Offers", ["vip", "loyal"], {"current": [3, 5], "candidate": [4, 5]}, ylabel="tickets")
    other = bar_chart("Offers", ["vip", "loyal"], {"current": [3, 5], "candidate": [9, 5]}, ylabel="tickets")
    assert first.startswith(b"\x89PNG")
    assert first == again
    assert first != other


def test_a_series_without_a_value_per_category_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per category"):
        bar_chart("Offers", ["vip", "loyal"], {"current": [3]})


def test_a_report_inlines_its_charts_and_escapes_its_text() -> None:
    chart = bar_chart("SLA", ["vip"], {"met": [0.9]})
    section = Section("By segment", ("segment", "tickets"), (("<vip>", "3"),), (chart,), ("a & b",))
    page = html_report("Report <all>", [section])
    assert "data:image/png;base64," in page
    assert "&lt;vip&gt;" in page
    assert "<vip>" not in page
    assert "a &amp; b" in page
    assert "Report &lt;all&gt;" in page
