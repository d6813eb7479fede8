"""The ``Metric`` declaration and the registry every metric is registered in once.

A metric is one small declaration over one mart (``scorecard/sql/marts/<mart>.sql``): the mart
carries the definition logic in flag columns, so ``numerator`` and ``denominator`` are one-line
SQL aggregates over the mart's rows that fall in a period. What puts a row "in period" depends
on ``kind``:

``flow``            ``date_column`` lies in the period (start to end, inclusive)
``open_at_end``     open at the period's last day: ``date_column <= end`` and
                    (``end_column`` blank or ``end_column > end``); for a month that is the
                    month end, for a financial year 31 March
``open_during``     open at any point: ``date_column <= end`` and
                    (``end_column`` blank or ``end_column >= start``)
``mean_of_months``  the mean of the monthly values of metric ``of`` over the year's 12 months

Units: ``count`` (value = numerator), ``percent`` (100 x numerator / denominator),
``rate_per_10k`` (10,000 x numerator / the 0-17 population of the year's calendar year), and
``mean``. A metric with a ``breakdown`` column gives one row per category; for a percentage the
denominator is taken over the whole period (all categories).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "GROUPS",
    "KINDS",
    "METRICS",
    "POLARITIES",
    "UNITS",
    "DuplicateMetricError",
    "Metric",
    "Registry",
    "register",
    "source_metric",
]

UNITS = ("count", "percent", "rate_per_10k", "mean")
POLARITIES = ("higher", "lower", "neutral")
KINDS = ("flow", "open_at_end", "open_during", "mean_of_months")
PERIOD_KINDS = ("month", "year")
GROUPS = ("Front door", "Children in need", "Child protection",
          "Missing and return home interviews")


class DuplicateMetricError(ValueError):
    """A metric id was registered twice."""


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One scorecard metric.

    :param id: stable identifier; once published it never changes meaning
    :param title: short human title
    :param description: the definition in words (as in ``shared/spec/metrics.md``)
    :param unit: ``count`` | ``percent`` | ``rate_per_10k`` | ``mean``
    :param polarity: ``higher`` | ``lower`` (is better) | ``neutral``
    :param group: the service area (one of ``GROUPS``)
    :param periods: the period kinds it is published for, from ``("month", "year")``
    :param mart: the mart table (in schema ``marts``) it reads
    :param kind: how a row is put in a period (see the module docstring)
    :param date_column: the mart column that puts a row in a period (the start for intervals);
        empty for ``mean_of_months``
    :param end_column: the end of the interval (``open_*`` kinds only)
    :param numerator: SQL aggregate over the period's rows; empty for ``mean_of_months``
    :param denominator: SQL aggregate (``percent``), else ``None``
    :param breakdown: mart column whose values split the metric, or ``None``
    :param breakdown_values: categories always reported (zero when absent)
    :param of: for ``mean_of_months``, the monthly metric averaged
    :param benchmark: the published DfE series it is compared or reconciled with (names in
        ``scorecard.benchmarks``; several are comma-separated, one per breakdown), or ``""``
    :param lookback_days: how far before a period the records it counts must reach (a
        re-referral looks back a year): a period starting less than this after the first
        full-volume month of the data (:mod:`.reach`) is not reported
    """

    id: str
    title: str
    description: str
    unit: str
    polarity: str
    group: str
    periods: tuple[str, ...]
    mart: str
    kind: str = "flow"
    date_column: str = ""
    numerator: str = ""
    end_column: str | None = None
    denominator: str | None = None
    breakdown: str | None = None
    breakdown_values: tuple[str, ...] = ()
    of: str | None = None
    benchmark: str = ""
    lookback_days: int = 0

    def __post_init__(self) -> None:
        def bad(message: str) -> ValueError:
            return ValueError(f"metric {self.id!r}: {message}")

        if not self.id or not self.id.isidentifier() or self.id != self.id.lower():
            raise bad("id must be a lower-case identifier")
        if self.unit not in UNITS:
            raise bad(f"unit {self.unit!r} is not one of {UNITS}")
        if self.polarity not in POLARITIES:
            raise bad(f"polarity {self.polarity!r} is not one of {POLARITIES}")
        if self.group not in GROUPS:
            raise bad(f"group {self.group!r} is not one of {GROUPS}")
        if self.kind not in KINDS:
            raise bad(f"kind {self.kind!r} is not one of {KINDS}")
        if not self.periods or set(self.periods) - set(PERIOD_KINDS):
            raise bad(f"periods {self.periods!r} must be drawn from {PERIOD_KINDS}")
        if (self.unit == "percent") != (self.denominator is not None):
            raise bad("a percentage needs a denominator, and only a percentage has one")
        if self.unit == "rate_per_10k" and self.periods != ("year",):
            raise bad("a rate per 10,000 uses a yearly population, so it is yearly only")
        if self.kind.startswith("open_") != (self.end_column is not None):
            raise bad("open_at_end/open_during need end_column, and only they use it")
        if (self.kind == "mean_of_months") != (self.of is not None):
            raise bad("mean_of_months needs `of`, and only it uses it")
        if ((self.kind == "mean_of_months" and (self.date_column or self.numerator))
                or (self.kind != "mean_of_months" and not (self.date_column and self.numerator))):
            raise bad("date_column and numerator are needed except for mean_of_months, "
                      "which takes them from `of`")
        if self.kind == "mean_of_months" and self.periods != ("year",):
            raise bad("a mean of monthly values is yearly only")
        if self.breakdown_values and self.breakdown is None:
            raise bad("breakdown_values without a breakdown column")

    @property
    def columns(self) -> tuple[str, ...]:
        """The mart columns the metric names directly (its expressions may use others)."""
        return tuple(c for c in (self.date_column, self.end_column, self.breakdown) if c)


class Registry:
    """Metrics by id, iterated in service-area order (``GROUPS``) then registration order;
    registering an id twice raises."""

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}

    def register(self, metric: Metric) -> Metric:
        """Add ``metric``; :raises DuplicateMetricError: when its id is already registered."""
        if metric.id in self._metrics:
            raise DuplicateMetricError(f"metric id {metric.id!r} is already registered")
        if metric.of is not None and metric.of not in self._metrics:
            raise ValueError(f"metric {metric.id!r} averages unknown metric {metric.of!r}")
        self._metrics[metric.id] = metric
        return metric

    def __getitem__(self, metric_id: str) -> Metric:
        return self._metrics[metric_id]

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self._metrics

    def __iter__(self) -> Iterator[Metric]:
        return iter(sorted(self._metrics.values(), key=lambda m: GROUPS.index(m.group)))

    def __len__(self) -> int:
        return len(self._metrics)

    @property
    def ids(self) -> list[str]:
        """The registered ids, in iteration order."""
        return [m.id for m in self]


#: Every metric the package computes (filled by the service-area modules on import).
METRICS = Registry()
register = METRICS.register


def source_metric(m: Metric) -> Metric:
    """The metric whose records ``m`` counts (a mean of months counts its month metric's)."""
    return METRICS[m.of] if m.of else m
