"""Charts drawn on the server as inline SVG (no JavaScript): each function returns markup.

Every number drawn also appears in a <title> (hover text, screen readers) and in the
page's tables, so the charts add no information that only a mouse can reach.
"""

from __future__ import annotations

from html import escape

#: Colours of the activity categories (also in static/style.css).
CATEGORY_COLOURS = {
    "active": "#2e7d32",
    "falling_asleep": "#f9a825",
    "asleep": "#c62828",
    "not_started": "#9e9e9e",
}
CATEGORY_ORDER = ("active", "falling_asleep", "asleep", "not_started")
CATEGORY_LABELS = {
    "active": "active",
    "falling_asleep": "falling asleep",
    "asleep": "asleep",
    "not_started": "not started",
}
P_DROPOUT_COLOUR = "#c62828"
P_COMPLETION_COLOUR = "#1565c0"
EVENTS_COLOUR = "#90a4ae"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def category_bar(counts: dict[str, int], width: int = 240, height: int = 18) -> str:
    """One stacked bar: students per category."""
    total = sum(counts.get(c, 0) or 0 for c in CATEGORY_ORDER)
    parts = [
        f'<svg class="catbar" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="students per category">'
    ]
    if not total:
        parts.append(f'<rect width="{width}" height="{height}" fill="#eee"/>')
    x = 0.0
    for category in CATEGORY_ORDER:
        n = counts.get(category, 0) or 0
        if not n:
            continue
        w = width * n / total
        parts.append(
            f'<rect x="{_num(x)}" width="{_num(w)}" height="{height}" '
            f'fill="{CATEGORY_COLOURS[category]}"><title>{CATEGORY_LABELS[category]}: {n}</title></rect>'
        )
        x += w
    parts.append("</svg>")
    return "".join(parts)


def critical_points_chart(rows: list[dict], width: int = 640, height: int = 180) -> str:
    """Per course week: students who crossed into falling asleep and into asleep (bars)."""
    if not rows:
        return '<p class="muted">No weeks yet.</p>'
    left, bottom, top = 32, 24, 10
    plot_h = height - bottom - top
    peak = max(max(r["n_entered_falling_asleep"] or 0, r["n_entered_asleep"] or 0) for r in rows)
    peak = max(peak, 1)
    step = (width - left - 8) / len(rows)
    bar = max(step / 2 - 2, 1)
    out = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="students crossing into falling asleep '
        f'and asleep per course week">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for i, row in enumerate(rows):
        x = left + i * step
        for j, (key, category) in enumerate(
            (("n_entered_falling_asleep", "falling_asleep"), ("n_entered_asleep", "asleep"))
        ):
            n = row[key] or 0
            h = plot_h * n / peak
            out.append(
                f'<rect x="{_num(x + j * (bar + 1))}" y="{_num(top + plot_h - h)}" '
                f'width="{_num(bar)}" height="{_num(h)}" fill="{CATEGORY_COLOURS[category]}">'
                f"<title>week {row['course_week']}: {n} into {CATEGORY_LABELS[category]}</title></rect>"
            )
        if len(rows) <= 20 or i % max(len(rows) // 20, 1) == 0:
            out.append(
                f'<text x="{_num(x + bar)}" y="{height - 8}" text-anchor="middle" class="axis">'
                f"{row['course_week']}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def history_chart(rows: list[dict], width: int = 720, height: int = 220) -> str:
    """A student's weeks in one course: learning events per week (grey bars, left scale),
    the category as a coloured band under the axis, p_dropout (red) and p_completion
    (blue) as lines on a 0-100 % scale."""
    if not rows:
        return '<p class="muted">No weeks yet.</p>'
    left, right, top, band, bottom = 36, 40, 10, 14, 22
    plot_h = height - top - band - bottom - 6
    base = top + plot_h
    n = len(rows)
    step = (width - left - right) / n
    peak = max(max((r.get("n_events") or 0) for r in rows), 1)
    out = [
        f'<svg class="chart history" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="weekly history: activity, category, '
        f'probabilities">',
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{left - 4}" y="{base}" text-anchor="end" class="axis">0</text>',
        f'<text x="{width - right + 4}" y="{top + 8}" class="axis">100%</text>',
        f'<text x="{width - right + 4}" y="{base}" class="axis">0%</text>',
    ]
    for i, row in enumerate(rows):
        x = left + i * step
        events = row.get("n_events") or 0
        h = plot_h * events / peak
        out.append(
            f'<rect class="events" x="{_num(x + 1)}" y="{_num(base - h)}" width="{_num(max(step - 2, 1))}" '
            f'height="{_num(h)}" fill="{EVENTS_COLOUR}"><title>week {row["course_week"]}: '
            f"{events} learning events</title></rect>"
        )
        category = row.get("category") or "not_started"
        out.append(
            f'<rect class="band" x="{_num(x)}" y="{base + 4}" width="{_num(step)}" height="{band}" '
            f'fill="{CATEGORY_COLOURS.get(category, "#ccc")}"><title>week {row["course_week"]}: '
            f"{CATEGORY_LABELS.get(category, category)}</title></rect>"
        )
        if n <= 20 or i % max(n // 20, 1) == 0:
            out.append(
                f'<text x="{_num(x + step / 2)}" y="{height - 6}" text-anchor="middle" '
                f'class="axis">{row["course_week"]}</text>'
            )
    for key, colour, label in (
        ("p_dropout", P_DROPOUT_COLOUR, "p_dropout"),
        ("p_completion", P_COMPLETION_COLOUR, "p_completion"),
    ):
        points = [
            (left + (i + 0.5) * step, base - plot_h * row[key], row)
            for i, row in enumerate(rows)
            if row.get(key) is not None
        ]
        if not points:
            continue
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y, _ in points)
        out.append(
            f'<polyline class="{label}" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"/>'
        )
        for x, y, row in points:
            out.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{colour}"><title>week '
                f"{row['course_week']}: {label} {row[key]:.0%}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)


def legend() -> str:
    items = [
        f'<span class="key"><i style="background:{CATEGORY_COLOURS[c]}"></i>{escape(CATEGORY_LABELS[c])}</span>'
        for c in CATEGORY_ORDER
    ]
    return '<div class="legend">' + "".join(items) + "</div>"
