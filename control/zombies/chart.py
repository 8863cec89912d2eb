"""Small server-rendered SVG line charts of one metric over a criterion's window, with the threshold
drawn as a dashed line, so a reviewer sees the evidence without any JavaScript. Each chart is titled with
its metric's name and unit, its axes are labelled (date; the unit per day) and its figures carry units."""
from __future__ import annotations

from datetime import date
from html import escape

from control.zombies.enums import Metric
from control.zombies.words import human_bytes

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 560, 176, 70, 12, 32, 34

# metric → (title zh, title en, y-axis zh, y-axis en, how a figure is written: share | bytes | count)
AXES: dict[Metric, tuple[str, str, str, str, str]] = {
    Metric.cpu_p95: ("CPU 使用率 P95（%）", "CPU p95 (%)", "使用率", "Utilisation", "share"),
    Metric.memory_avg: ("内存平均使用率（%）", "Memory average (%)", "使用率", "Utilisation", "share"),
    Metric.network_bytes: ("网络流量（字节/日）", "Network traffic (bytes per day)", "字节/日", "Bytes per day",
                           "bytes"),
    Metric.requests: ("业务请求数（笔/日）", "Business transactions (per day)", "笔/日", "Per day", "count"),
    Metric.active_users: ("活跃用户数（人/日）", "Active users (per day)", "人/日", "Users per day", "count"),
    Metric.logins: ("登录次数（次/日）", "Logins (per day)", "次/日", "Logins per day", "count"),
    Metric.deployments: ("变更发布次数（次/日）", "Changes or releases (per day)", "次/日", "Per day", "count"),
}


def figure(value: float, kind: str) -> str:
    """A figure on the chart in its unit: 5%, 1.5 GB, 1.2k."""
    if kind == "share":
        return f"{value:.0%}" if value >= 0.01 or value == 0 else f"{value:.1%}"
    if kind == "bytes":
        return human_bytes(value)
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"


def chart_title(metric: Metric, locale: str = "zh_CN") -> str:
    zh, en, *_ = AXES[metric]
    return en if locale.startswith("en") else zh


def line_chart(points: list[tuple[date, float | None]], threshold: float | None, metric: Metric,
               locale: str = "zh_CN") -> str:
    """An <svg> with the daily values (gaps where no value was recorded) and the threshold line, under a
    title naming the metric and its unit, with the axes labelled."""
    en = locale.startswith("en")
    title, y_label, kind = chart_title(metric, locale), AXES[metric][3 if en else 2], AXES[metric][4]
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
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text class="chart-title" x="{PAD_L}" y="16" font-size="12" font-weight="600" fill="#1f2933">'
        f'{escape(title)}</text>',
        f'<text class="axis-label y" x="12" y="{PAD_T + plot_h / 2:.0f}" font-size="10" fill="#616e7c" '
        f'text-anchor="middle" transform="rotate(-90 12 {PAD_T + plot_h / 2:.0f})">{escape(y_label)}</text>',
        f'<text class="axis-label x" x="{PAD_L + plot_w / 2:.0f}" y="{HEIGHT - 4}" font-size="10" fill="#616e7c" '
        f'text-anchor="middle">{"Date" if en else "日期"}</text>',
        f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{WIDTH - PAD_R}" y2="{PAD_T + plot_h}" stroke="#9fb3c8"/>',
        f'<text x="{PAD_L - 6}" y="{PAD_T + 4}" font-size="10" text-anchor="end" fill="#616e7c">'
        f'{figure(top, kind)}</text>',
        f'<text x="{PAD_L - 6}" y="{PAD_T + plot_h}" font-size="10" text-anchor="end" fill="#616e7c">0</text>',
    ]
    if points:
        parts.append(f'<text x="{PAD_L}" y="{PAD_T + plot_h + 13}" font-size="10" fill="#616e7c">{points[0][0]}</text>')
        parts.append(f'<text x="{WIDTH - PAD_R}" y="{PAD_T + plot_h + 13}" font-size="10" text-anchor="end" '
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
                     f'{"Threshold" if en else "阈值"} {figure(threshold, kind)}</text>')
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="12" text-anchor="middle" fill="#9aa5b1">'
                     f'{"No data in the window" if en else "窗口内无数据"}</text>')
    parts.append("</svg>")
    return "".join(parts)
