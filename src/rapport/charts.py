"""Charts and self-contained HTML reports: plain numbers in, PNG bytes and one HTML string out.

Used by `rapport report` and `rapport simulate --html` (and the workspace's report page). matplotlib
runs on its Agg backend (no display, no GUI toolkit); PNGs carry no timestamp, so the same numbers give
the same bytes and a report is reproducible.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: a server or CI has no display

import matplotlib.pyplot as plt  # noqa: E402

PALETTE = ("#2f6f9f", "#e08a2c", "#4f9d69", "#b5485d", "#7a6fb0", "#8c8c8c")


@dataclass(frozen=True, slots=True)
class Section:
    """One part of a report: a heading, an optional table, charts (PNG bytes) and notes."""

    heading: str
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    charts: tuple[bytes, ...] = ()
    notes: tuple[str, ...] = ()


def bar_chart(
    title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]], *, ylabel: str = ""
) -> bytes:
    """Grouped bars: one group per category, one bar per series (e.g. current vs candidate)."""
    if any(len(values) != len(categories) for values in series.values()):
        raise ValueError("every series needs one value per category")
    figure, axes = plt.subplots(figsize=(max(4.0, 1.1 * len(categories) + 2), 3.2), dpi=100)
    try:
        width = 0.8 / max(1, len(series))
        for index, (name, values) in enumerate(series.items()):
            shift = (index - (len(series) - 1) / 2) * width
            offsets = [position + shift for position in range(len(categories))]
            axes.bar(offsets, list(values), width, label=name, color=PALETTE[index % len(PALETTE)])
        axes.set_xticks(range(len(categories)), list(categories), rotation=20 if len(categories) > 5 else 0)
        axes.set_title(title)
        axes.set_ylabel(ylabel)
        axes.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            axes.legend(frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)


def html_report(title: str, sections: Sequence[Section], *, subtitle: str = "") -> str:
    """One HTML page with everything inline (styles, tables, charts as data: URIs): it can be mailed."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(f'<p class="subtitle">{html.escape(subtitle)}</p>')
    parts.extend(_section_html(section) for section in sections)
    parts.append("</body></html>")
    return "\n".join(parts)


def _section_html(section: Section) -> str:
    parts = [f"<section><h2>{html.escape(section.heading)}</h2>"]
    if section.headers or section.rows:
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in section.headers)
        cells = ("".join(f"<td>{html.escape(cell)}</td>" for cell in row) for row in section.rows)
        body = "".join(f"<tr>{row}</tr>" for row in cells)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    for chart in section.charts:
        encoded = base64.b64encode(chart).decode("ascii")
        parts.append(f'<img alt="{html.escape(section.heading)}" src="data:image/png;base64,{encoded}">')
    parts.extend(f"<p>{html.escape(note)}</p>" for note in section.notes)
    parts.append("</section>")
    return "".join(parts)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}"
    "h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}.subtitle{color:#666}"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;"
    "text-align:right}th:first-child,td:first-child{text-align:left}img{display:block;margin:.5rem 0;"
    "max-width:100%}"
)
