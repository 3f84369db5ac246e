"""A small inline SVG line chart (no JavaScript, no fonts to fetch) for the monthly trend."""

from __future__ import annotations

from html import escape


def trend_chart(points: list[dict], width: int = 640, height: int = 220) -> str:
    """% of applicable patches installed and % of machines compliant, one point per month."""
    if not points:
        return '<p class="muted">No scans recorded yet.</p>'
    left, right, top, bottom = 44, 40, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, pct: float) -> tuple[float, float]:
        return left + (i * step if len(points) > 1 else plot_w / 2), top + plot_h * (1 - pct / 100)

    def series(key: str) -> list[tuple[float, float]]:
        return [xy(i, p[key]) for i, p in enumerate(points)]

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="Compliance trend by month">']
    for pct in (0, 25, 50, 75, 100):
        _, y = xy(0, pct)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{pct}%</text>')
    for key, colour in (("percent_installed", "#2e7d32"), ("percent_compliant", "#1565c0")):
        pts = series(key)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        for (x, y), p in zip(pts, points, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(p["month"])}: '
                         f'{p[key]}%</title></circle>')
    for i, p in enumerate(points):
        x, _ = xy(i, 0)
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="11" text-anchor="middle">'
                     f'{escape(p["month"])}</text>')
    parts.append("</svg>")
    return "".join(parts)
