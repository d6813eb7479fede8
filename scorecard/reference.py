"""Reference data shipped with the package: English LAs, their regions, ONS 0-17 populations,
DfE statistical-neighbour groupings and the DfE published values.

This module is the one home of those lookups, below both ``scorecard.metrics`` (which needs the
population for rates) and ``scorecard.benchmarks`` (which compares with the published values):
it imports neither. The data lives in ``scorecard/data/benchmarks/`` (``SOURCES.md`` there names
every DfE and ONS release) and is rebuilt by :func:`scorecard.benchmarks.refresh`.

>>> population(370, 2022) is not None
True
>>> la_name(370)
'Barnsley'
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

from .errors import ConfigError, StructuralError
from .periods import Period, parse_period

__all__ = [
    "DATA_DIR", "ENGLAND", "GROUPINGS", "ReferenceData", "grouping_for_period", "la_name",
    "parse_year", "population", "region_of", "statistical_neighbours",
]

#: The folder the package data lives in (shipped in the wheel).
DATA_DIR = Path(__file__).parent / "data" / "benchmarks"

#: Statistical-neighbour groupings and the last financial year each is in force for.
GROUPINGS = {"april_2021": "2024-25", "may_2025": None}

ENGLAND = "E92000001"

_SCHEMAS = {
    "values.csv": {"series": pl.Utf8, "year": pl.Int64, "code": pl.Utf8,
                   "value": pl.Float64, "status": pl.Utf8},
    "populations.csv": {"year": pl.Int64, "code": pl.Utf8, "population": pl.Float64,
                        "status": pl.Utf8},
    "areas.csv": {"level": pl.Utf8, "code": pl.Utf8, "name": pl.Utf8,
                  "region_code": pl.Utf8, "region_name": pl.Utf8},
    "neighbours.csv": {"grouping": pl.Utf8, "la_code": pl.Int64, "position": pl.Int64,
                       "neighbour_code": pl.Int64, "closeness": pl.Utf8},
    "series.csv": {"series": pl.Utf8, "title": pl.Utf8, "unit": pl.Utf8,
                   "release": pl.Utf8, "file": pl.Utf8, "column": pl.Utf8},
}


@lru_cache(maxsize=8)
def load_data(data_dir: str) -> dict[str, pl.DataFrame]:
    """The reference tables in ``data_dir`` (cached; :func:`clear_cache` after rewriting them).

    :raises ConfigError: a file is missing.
    :raises StructuralError: a file cannot be read.
    """
    base = Path(data_dir)
    out = {}
    for name, schema in _SCHEMAS.items():
        path = base / name
        if not path.is_file():
            raise ConfigError(f"benchmark data {path} is missing: run "
                              "`scorecard benchmarks refresh SRC` with the DfE files")
        try:
            out[name.removesuffix(".csv")] = pl.read_csv(path, schema=schema).with_columns(
                pl.col(pl.Utf8).fill_null(""))
        except pl.exceptions.PolarsError as exc:
            raise StructuralError(str(path), f"benchmark data cannot be read: {exc}") from None
    return out


def clear_cache() -> None:
    """Forget the cached tables (after :func:`scorecard.benchmarks.refresh` rewrote them)."""
    load_data.cache_clear()


def parse_year(period: str) -> Period:
    """:func:`scorecard.periods.parse_period`, with a bad period as a :class:`ConfigError`."""
    try:
        return parse_period(period)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def grouping_for_period(period: str) -> str:
    """The DfE statistical-neighbour grouping in force for a financial year (or month).

    >>> grouping_for_period("2022-23"), grouping_for_period("2025-26")
    ('april_2021', 'may_2025')
    """
    label = parse_year(period).financial_year.label
    for grouping, last in GROUPINGS.items():
        if last is None or label <= last:
            return grouping
    raise AssertionError("unreachable: the last grouping has no end")  # pragma: no cover


class ReferenceData:
    """The reference tables in one folder (default: the package data) and lookups on them."""

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else DATA_DIR

    @property
    def tables(self) -> dict[str, pl.DataFrame]:
        """``values``, ``populations``, ``areas``, ``neighbours`` and ``series``."""
        return load_data(str(self.data_dir.resolve()))

    def area(self, la_code: int) -> dict:
        """The LA's row of ``areas.csv`` (level, code, name, region_code, region_name).

        :raises ConfigError: not an English LA in the data.
        """
        if isinstance(la_code, bool) or not isinstance(la_code, int):
            raise ConfigError(f"LA code {la_code!r} is not a DfE LA code (a number such as 370)")
        areas = self.tables["areas"]
        hit = areas.filter((pl.col("level") == "la") & (pl.col("code") == f"{la_code:03d}"))
        if hit.height == 0:
            raise ConfigError(f"unknown LA code {la_code}: not an English local authority in "
                              "the DfE benchmark data (e.g. 370 is Barnsley)")
        return hit.row(0, named=True)

    def la_name(self, la_code: int) -> str:
        """The LA's name as the DfE publishes it."""
        return self.area(la_code)["name"]

    def region_of(self, la_code: int) -> tuple[str, str]:
        """``(region_code, region_name)`` of the LA's government office region."""
        area = self.area(la_code)
        return area["region_code"], area["region_name"]

    def population(self, la_code: int, year: int) -> int | None:
        """ONS mid-year estimate of children aged 0–17 in the LA for calendar ``year``.

        ``None`` when the year is not published (or suppressed).
        """
        code = self.area(la_code)["code"]
        pops = self.tables["populations"]
        hit = pops.filter((pl.col("code") == code) & (pl.col("year") == year))
        if hit.height == 0 or hit["population"][0] is None:
            return None
        return int(round(hit["population"][0]))

    def statistical_neighbours(self, la_code: int, grouping: str = "april_2021") -> list[int]:
        """The LA's DfE statistical neighbours (closest first) in ``grouping``."""
        self.area(la_code)
        if grouping not in GROUPINGS:
            raise ConfigError(f"unknown statistical-neighbour grouping {grouping!r}: use one of "
                              f"{', '.join(GROUPINGS)}")
        sn = self.tables["neighbours"].filter((pl.col("grouping") == grouping)
                                              & (pl.col("la_code") == la_code))
        if sn.height == 0:
            raise ConfigError(f"LA {la_code} has no statistical neighbours in the {grouping} "
                              "grouping (it did not exist as an LA when the grouping was made)")
        return sn.sort("position")["neighbour_code"].to_list()

    def year_values(self, series: str, year: int) -> pl.DataFrame:
        """Every area's published value of ``series`` for DfE year ``year`` (year ending 31 March)."""
        values = self.tables["values"]
        return values.filter((pl.col("series") == series) & (pl.col("year") == year))

    def latest_year(self, series: str, year: int) -> int | None:
        """``year`` if the DfE published the series for it, else the latest earlier year."""
        years = self.tables["values"].filter((pl.col("series") == series)
                                             & (pl.col("year") <= year)
                                             & pl.col("value").is_not_null())["year"]
        return int(years.max()) if years.len() else None

    def series_meta(self, series: str) -> dict:
        """The ``series.csv`` row of ``series`` (title, unit, release, file, column)."""
        return self.tables["series"].filter(pl.col("series") == series).row(0, named=True)


def _default() -> ReferenceData:
    return ReferenceData()


def population(la_code: int, year: int) -> int | None:
    """ONS mid-year 0–17 estimate for the LA and calendar ``year`` (``None`` if unpublished)."""
    return _default().population(la_code, year)


def la_name(la_code: int) -> str:
    """The LA's name as the DfE publishes it."""
    return _default().la_name(la_code)


def region_of(la_code: int) -> tuple[str, str]:
    """``(region_code, region_name)`` of the LA."""
    return _default().region_of(la_code)


def statistical_neighbours(la_code: int, grouping: str = "april_2021") -> list[int]:
    """The LA's DfE statistical neighbours, closest first (``april_2021`` or ``may_2025``)."""
    return _default().statistical_neighbours(la_code, grouping)
