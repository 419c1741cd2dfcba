"""Small inline SVG charts for the steward report (pure: data in, SVG text out; no JavaScript, no network)."""

from __future__ import annotations

from html import escape

STATUS_COLOURS = {
    "target_achieved": "#1a7f37",
    "substantial_progress": "#2da44e",
    "moderate_progress": "#bf8700",
    "limited_progress": "#d1242f",
    "deterioration": "#82071e",
    "not_assessable": "#6e7781",
}


def progress_chart(points: list[tuple[int, float]], target_year: int, target_value: float, status: str,
                   width: int = 260, height: int = 120) -> str:
    """A line of the published series, a dashed target line up to the target year, coloured by status."""
    colour = STATUS_COLOURS.get(status, "#6e7781")
    years = [y for y, _ in points] + [target_year]
    values = [v for _, v in points] + [target_value]
    x0, x1 = min(years), max(years)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 34, 8, 8, 18

    def x(year: float) -> float:
        return left + (year - x0) / ((x1 - x0) or 1) * (width - left - right)

    def y(value: float) -> float:
        return top + (hi - value) / (hi - lo) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="{left}" y1="{y(target_value):.1f}" x2="{x(target_year):.1f}" y2="{y(target_value):.1f}" stroke="#57606a" stroke-dasharray="4 3"/>',
        f'<text x="{x(target_year):.1f}" y="{y(target_value) - 3:.1f}" font-size="9" text-anchor="end" fill="#57606a">目标 target {target_value:g} ({target_year})</text>',
    ]
    if len(points) > 1:
        path = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for yr, v in points:
        parts.append(f'<circle cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{yr}: {v:g}</title></circle>')
    parts += [
        f'<text x="{left}" y="{height - 4}" font-size="9" fill="#57606a">{x0}</text>',
        f'<text x="{width - right}" y="{height - 4}" font-size="9" text-anchor="end" fill="#57606a">{x1}</text>',
        f'<text x="2" y="{y(hi - pad) + 3:.1f}" font-size="9" fill="#57606a">{hi - pad:g}</text>',
        f'<text x="2" y="{y(lo + pad) + 3:.1f}" font-size="9" fill="#57606a">{lo + pad:g}</text>',
        f"<desc>{escape(status)}</desc></svg>",
    ]
    return "".join(parts)
