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
FONT = 12  # px: readable on a laptop and when printed


def format_number(value: float, decimals: int = 3) -> str:
    """Thousands separated, at most the decimals the value needs (82,553; 74.2; 1.826)."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def progress_chart(
    points: list[tuple[int, float]],
    target_year: int,
    target_value: float,
    status: str,
    unit: str = "",
    width: int = 300,
    height: int = 150,
) -> str:
    """The published series from the plan's base year, and a dashed target line up to the target year,
    coloured by status. Axis labels are formatted numbers in the indicator's unit."""
    colour = STATUS_COLOURS.get(status, "#6e7781")
    years = [y for y, _ in points] + [target_year]
    values = [v for _, v in points] + [target_value]
    x0, x1 = min(years), max(years)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.2 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 8, 8, 8 + FONT, FONT + 8
    suffix = f" {escape(unit)}" if unit else ""

    def x(year: float) -> float:
        return left + (year - x0) / ((x1 - x0) or 1) * (width - left - right)

    def y(value: float) -> float:
        return top + (hi - value) / (hi - lo) * (height - top - bottom)

    text = f'font-size="{FONT}" fill="#424a53"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="{left}" y1="{y(target_value):.1f}" x2="{x(target_year):.1f}" y2="{y(target_value):.1f}" stroke="#57606a" stroke-dasharray="4 3"/>',
        f'<text x="{x(target_year):.1f}" y="{y(target_value) - 4:.1f}" {text} text-anchor="end">目标 target {format_number(target_value)}{suffix} ({target_year})</text>',
    ]
    if len(points) > 1:
        path = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for yr, v in points:
        parts.append(
            f'<circle cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"><title>{yr}: {format_number(v)}{suffix}</title></circle>'
        )
    if points:  # the latest figure, labelled where it stands
        yr, v = points[-1]
        anchor = "start" if x(yr) < width / 2 else "end"
        dx = 6 if anchor == "start" else -6
        parts.append(
            f'<text x="{x(yr) + dx:.1f}" y="{y(v) + FONT + 2:.1f}" {text} text-anchor="{anchor}">{format_number(v)}{suffix}</text>'
        )
    parts += [
        f'<text x="{left}" y="{height - 4}" {text}>{x0}</text>',
        f'<text x="{width - right}" y="{height - 4}" {text} text-anchor="end">{x1}</text>',
        f"<desc>{escape(status)}</desc></svg>",
    ]
    return "".join(parts)
