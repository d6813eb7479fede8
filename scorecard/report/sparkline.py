"""Inline SVG sparklines for the page: geometry and an accessible description."""
from __future__ import annotations

from collections.abc import Sequence

from . import sdc
from .palette import SERIES
from .wording import GAP_WORDS

__all__ = ["format_metric", "sparkline"]


def format_metric(value: float | None, unit: str, missing: str = "–") -> str:
    """A metric value as shown on the scorecard (counts whole, no ".0"); ``missing`` for none."""
    if value is None:
        return missing
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    return f"{value:,.1f}"


def sparkline(points: Sequence[tuple[str, float | None, bool]], *, unit: str,
              width: int = 150, height: int = 34, roles: Sequence[str] | None = None,
              incomplete: Sequence[int] = ()) -> dict:
    """Geometry of an inline SVG sparkline: segments split at missing or hidden points and
    where the series changes (last year's months, then this year's).

    ``points``: (label, value, hidden) in time order; ``roles``: the palette series of each
    point (default all ``this_year``); ``incomplete``: positions possibly incomplete. Returns
    the polyline segments (with their colour and dash), the last shown point, gap markers
    for hidden points, rings for incomplete points and an accessible description.
    """
    roles = list(roles) if roles is not None else ["this_year"] * len(points)
    shown = [v for _, v, h in points if v is not None and not h]
    pad = 4
    lo, hi = (min(shown), max(shown)) if shown else (0.0, 1.0)
    span = (hi - lo) or 1.0
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return (round(pad + i * step, 1), round(height - pad - (v - lo) / span * (height - 2 * pad), 1))

    segments, current, gaps, last = [], [], [], None
    role = None
    rings = []
    for i, (_, v, h) in enumerate(points):
        if v is None or h or roles[i] != role:
            if current:
                segments.append((role, current))
            current = []
        role = roles[i]
        if v is None or h:
            if h:
                gaps.append(round(pad + i * step, 1))
            continue
        current.append(xy(i, v))
        last = xy(i, v)
        if i in incomplete:
            rings.append(xy(i, v))
    if current:
        segments.append((role, current))
    described = []
    for i, (lab, v, h) in enumerate(points):
        text = f"{lab} {sdc.SUPPRESSED if h else format_metric(v, unit)}"
        if i in incomplete:
            text += f" ({GAP_WORDS})"
        described.append(text)
    return {"width": width, "height": height,
            "segments": [" ".join(f"{x},{y}" for x, y in s) for _, s in segments],
            "styled": [{"points": " ".join(f"{x},{y}" for x, y in s),
                        "colour": SERIES[r].colour,
                        "dash": "" if SERIES[r].linestyle == "-" else "3,2"}
                       for r, s in segments],
            "singles": [s[0] for _, s in segments if len(s) == 1], "last": last, "gaps": gaps,
            "rings": rings, "desc": "; ".join(described), "empty": not shown}
