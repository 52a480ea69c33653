"""Bar charts as inline SVG, drawn on the server: no JavaScript, no CDN.

The SVG is decoration for sighted readers (role="img" with a title); the same numbers are in a
table beside it, which is what a screen reader reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from terminvergabe.i18n import office_lang

WIDTH = 640
BAR_AREA_LEFT = 150
ROW = 26
BAR_HEIGHT = 18


# About this many characters fit left of the bars; a longer label is cut with an ellipsis
# (the whole name stands in the table beside the chart).
LABEL_CHARS = 18


def _fit(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str = "",
    chart_id: str = "",
    office_labels: bool = False,
) -> Markup:
    """Horizontal bars, one row per label, the value written at the end of each bar.
    `office_labels`: the labels are names the office typed (counters, services), marked as
    German like such names elsewhere (SVG 2 has the `lang` attribute on every element)."""
    label_lang = office_lang() if office_labels else ""
    top = max(values, default=0) or 1
    height = ROW * max(len(labels), 1) + 10
    span = WIDTH - BAR_AREA_LEFT - 60
    title_id = f"{chart_id or 'chart'}-title"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{escape(title_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
    ]
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + row * ROW
        width = span * (value / top) if value else 0
        parts.append(
            f'<text x="{BAR_AREA_LEFT - 8}" y="{y + 14}" text-anchor="end" '
            f'class="chart-label"{label_lang}>{escape(_fit(label))}</text>'
        )
        parts.append(
            f'<rect x="{BAR_AREA_LEFT}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'class="chart-bar"/>'
        )
        parts.append(
            f'<text x="{BAR_AREA_LEFT + width + 6:.1f}" y="{y + 14}" class="chart-value">'
            f"{escape(_fmt(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece above is escaped)
