"""Charts as inline SVG markup, rendered on the server: no script, no style attributes, no CDN.

Colours and fonts come from classes in static/app.css. Every chart carries a <title> for screen
readers, and the pages show the same figures in a table beside it.
"""
from __future__ import annotations

from markupsafe import Markup, escape

ROW = 44          # a row: the label on its own line, the bar and its figure below it
VALUE_W = 90
LABEL_CHARS = 70  # about what 13px text fits across the chart; longer labels end in "…"


def _fmt(n: float) -> str:
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.1f}"


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(title: str, rows: list[tuple[str, float, str]], width: int = 560) -> Markup:
    """Horizontal bars: rows of (label, value, text shown after the bar); scaled to the largest.

    Each label has the whole width above its bar, so a long organisation name is neither cut short
    at a fixed width nor printed over by the figure; one longer than the line keeps its full text
    in a <title>.
    """
    top = max([value for _, value, _ in rows] + [0])
    span = width - VALUE_W
    height = ROW * max(len(rows), 1) + 4
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value, shown) in enumerate(rows):
        y = i * ROW + 2
        w = 0 if not top else max(span * value / top, 1 if value else 0)
        full = "" if _label(label) == label else f"<title>{escape(label)}</title>"
        parts.append(f'<text class="chart-label" x="0" y="{y + 14}">{full}{escape(_label(label))}</text>')
        parts.append(f'<rect class="bar" x="0" y="{y + 20}" width="{w:.1f}" height="{ROW - 26}"/>')
        parts.append(f'<text class="chart-value" x="{w + 6:.1f}" y="{y + 34}">{escape(shown)}</text>')
    if not rows:
        parts.append('<text class="chart-label" x="0" y="18">No data yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(title: str, values: list[float | None], width: int = 120, height: int = 28) -> Markup:
    """A small line over time; gaps (None) break the line; the last point is marked."""
    known = [v for v in values if v is not None]
    parts = [f'<svg class="chart spark" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    if known:
        top, bottom = max(known), min(known)
        spread = (top - bottom) or 1
        step = (width - 6) / max(len(values) - 1, 1)
        segments, current = [], []
        for i, v in enumerate(values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((3 + i * step, height - 3 - (v - bottom) / spread * (height - 6)))
        if current:
            segments.append(current)
        for seg in segments:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline class="chart-line" points="{points}"/>')
        x, y = segments[-1][-1]
        parts.append(f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel(title: str, steps: list[tuple[str, int]]) -> Markup:
    """The mailing funnel: each step's count and its share of the first step."""
    first = steps[0][1] if steps else 0
    rows = [(label, count, f"{count}" + (f" ({100 * count / first:.0f}%)" if first and i else ""))
            for i, (label, count) in enumerate(steps)]
    return bar_chart(title, rows)
