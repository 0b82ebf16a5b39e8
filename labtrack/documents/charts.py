"""Server-side SVG charts (no JavaScript, no CDN): plain strings, every label escaped."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

PALETTE = ("#2f6f9f", "#6a9f2f", "#c0822f", "#8f3f9f", "#2f9f8f", "#9f2f3f")


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, width: int = 560,
              bar_height: int = 22, unit: str = "") -> str:
    """Horizontal bars, one per label, with the value written at the end of each bar."""
    label_width, gap, top = 150, 6, 28
    height = top + len(labels) * (bar_height + gap) + 10
    peak = max([float(v) for v in values] + [1.0])
    usable = width - label_width - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" class="chart">',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * (bar_height + gap)
        length = usable * float(value) / peak
        parts += [
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.7:.1f}" font-size="12" '
            f'text-anchor="end">{escape(str(label))}</text>',
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>',
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height * 0.7:.1f}" '
            f'font-size="12">{escape(f"{value:g}{unit}")}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
