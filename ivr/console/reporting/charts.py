"""Bar charts as inline SVG, drawn on the server (no script, no CDN: the page works offline)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 300
VALUE_WIDTH = 70


def bar_chart(labels: Sequence[object], values: Sequence[float | int | None], title: str,
              ) -> Markup:
    """One horizontal bar per label, scaled to the largest value; a missing value is a dash."""
    numbers = [float(v) for v in values if v is not None]
    top = max(numbers, default=0.0) or 1.0
    height = ROW * max(len(labels), 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * ROW
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" '
                     f'font-size="12">{escape(str(label))}</text>')
        if value is None:
            shown = "–"
        else:
            length = round(BAR_WIDTH * float(value) / top, 1)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW - 6}"'
                         f' fill="#3b6ea8"><title>{escape(str(label))}: {value:g}</title></rect>')
            shown = f"{value:g}"
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 15}" '
                     f'font-size="12">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
