"""One palette: the colour (and the non-colour cue) of every series, used by every chart, the
HTML page and the workbook, so a colour means the same thing everywhere.

Colours are Okabe-Ito (safe for the common forms of colour blindness), and no series is told
apart by colour alone: each also has its own hatch (bars), line style and marker (lines).
The LA's own figures are blues (this period dark, the same period a year earlier light);
comparators are orange (statistical neighbours), grey (England) and green (region).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OKABE_ITO", "SERIES", "STATUS", "SeriesStyle", "series_style", "css_variables"]

#: Okabe-Ito colour-blind-safe palette (grey added for comparators).
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
             "vermillion": "#D55E00", "purple": "#CC79A7", "yellow": "#F0E442",
             "grey": "#6E6E6E", "black": "#000000"}


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is drawn everywhere."""

    key: str
    meaning: str
    colour: str
    hatch: str
    linestyle: str
    marker: str
    #: edge of a bar (light fills get a dark edge so the hatch shows)
    edge: str = "#222222"


#: The series of the scorecard, by meaning.
SERIES: dict[str, SeriesStyle] = {s.key: s for s in (
    SeriesStyle("this_year", "this local authority, the period reported", OKABE_ITO["blue"],
                "//", "-", "o"),
    SeriesStyle("last_year", "this local authority, the same period a year earlier",
                OKABE_ITO["sky"], "..", "--", "s"),
    SeriesStyle("neighbours", "statistical neighbours (mean)", OKABE_ITO["orange"], "", ":",
                "^"),
    SeriesStyle("england", "England", OKABE_ITO["grey"], "xx", "-.", "D"),
    SeriesStyle("region", "the region", OKABE_ITO["green"], "\\\\", (0, (5, 1)), "v"),
)}

#: Colours with a fixed meaning that are not series.
STATUS = {
    "provisional": "#B2182B",      # failing error checks: text and borders
    "incomplete": OKABE_ITO["purple"],   # a month that is possibly incomplete
    "rag_green": "#1B7837", "rag_amber": OKABE_ITO["orange"], "rag_red": "#B2182B",
    "suppressed": "#444444",
}


def series_style(key: str) -> SeriesStyle:
    """The style of series ``key``; an unknown key is an error, never a new colour."""
    try:
        return SERIES[key]
    except KeyError:
        raise ValueError(f"no series {key!r} in the palette; known: {', '.join(SERIES)}") from None


def css_variables() -> str:
    """The palette as CSS custom properties (``--this_year: #0072B2; ...``)."""
    parts = [f"--{k}: {s.colour};" for k, s in SERIES.items()]
    parts += [f"--{k}: {c};" for k, c in STATUS.items()]
    return " ".join(parts)
