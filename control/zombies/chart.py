"""Small server-rendered SVG line charts of one metric over a criterion's window, with the threshold
drawn as a dashed line, so a reviewer sees the evidence without any JavaScript."""
from __future__ import annotations

from datetime import date
from html import escape

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 560, 150, 56, 12, 14, 26


def _fmt(value: float) -> str:
    if value >= 1e9:
        return f"{value / 1e9:.1f}G"
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"


def line_chart(points: list[tuple[date, float | None]], threshold: float | None, title: str) -> str:
    """An <svg> with the daily values (gaps where no value was recorded) and the threshold line."""
    values = [v for _, v in points if v is not None]
    top = max(values + ([threshold * 1.5] if threshold else []) + [1e-9])
    n = max(len(points) - 1, 1)
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(i: int) -> float:
        return PAD_L + plot_w * i / n

    def y(v: float) -> float:
        return PAD_T + plot_h * (1 - min(v, top) / top)

    segments, current = [], []
    for i, (_, v) in enumerate(points):
        if v is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{x(i):.1f},{y(v):.1f}")
    if current:
        segments.append(current)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{WIDTH - PAD_R}" y2="{PAD_T + plot_h}" stroke="#9fb3c8"/>',
        f'<text x="{PAD_L - 6}" y="{PAD_T + 4}" font-size="10" text-anchor="end" fill="#616e7c">{_fmt(top)}</text>',
        f'<text x="{PAD_L - 6}" y="{PAD_T + plot_h}" font-size="10" text-anchor="end" fill="#616e7c">0</text>',
    ]
    if points:
        parts.append(f'<text x="{PAD_L}" y="{HEIGHT - 6}" font-size="10" fill="#616e7c">{points[0][0]}</text>')
        parts.append(f'<text x="{WIDTH - PAD_R}" y="{HEIGHT - 6}" font-size="10" text-anchor="end" '
                     f'fill="#616e7c">{points[-1][0]}</text>')
    for seg in segments:
        if len(seg) == 1:
            cx, cy = seg[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.8" fill="#2a6fdb"/>')
        else:
            parts.append(f'<polyline class="series" fill="none" stroke="#2a6fdb" stroke-width="1.6" '
                         f'points="{" ".join(seg)}"/>')
    if threshold is not None:
        ty = y(threshold)
        parts.append(f'<line class="threshold" x1="{PAD_L}" y1="{ty:.1f}" x2="{WIDTH - PAD_R}" y2="{ty:.1f}" '
                     f'stroke="#c53030" stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{WIDTH - PAD_R}" y="{ty - 4:.1f}" font-size="10" text-anchor="end" fill="#c53030">'
                     f'阈值 {_fmt(threshold)}</text>')
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="12" text-anchor="middle" fill="#9aa5b1">'
                     '窗口内无数据</text>')
    parts.append("</svg>")
    return "".join(parts)
