"""Children in need metrics: children open at month end and 31 March, rate, primary need."""
from __future__ import annotations

from ..schema import PRIMARY_NEED_CODES
from .definitions import Metric, register

__all__ = ["GROUP"]

GROUP = "Children in need"

register(Metric(
    id="cin_open_month_end", title="Children in need at month end", group=GROUP, unit="count",
    polarity="neutral",
    description="Distinct children with a CIN episode open at the last day of the month "
                "(start <= day and closure blank or after it).",
    periods=("month",), mart="cin_episodes", kind="open_at_end",
    date_column="cin_start_date", end_column="cin_closure_date",
    numerator="count(distinct child_id)",
))
register(Metric(
    id="cin_at_31_march", title="Children in need at 31 March", group=GROUP, unit="count",
    polarity="neutral",
    description="Distinct children with a CIN episode open at 31 March.",
    periods=("year",), mart="cin_episodes", kind="open_at_end",
    date_column="cin_start_date", end_column="cin_closure_date",
    numerator="count(distinct child_id)",
    benchmark="cin_at_31_march",
))
register(Metric(
    id="cin_rate_per_10k", title="Children in need per 10,000 children", group=GROUP,
    unit="rate_per_10k", polarity="neutral",
    description="cin_at_31_march / ONS mid-year 0-17 population x 10,000.",
    periods=("year",), mart="cin_episodes", kind="open_at_end",
    date_column="cin_start_date", end_column="cin_closure_date",
    numerator="count(distinct child_id)",
    benchmark="cin_rate_per_10k",
))
register(Metric(
    id="cin_by_primary_need", title="CIN episodes by primary need", group=GROUP, unit="count",
    polarity="neutral",
    description="CIN episodes open at any point in the period, by primary_need_code (N0-N9).",
    periods=("year",), mart="cin_episodes", kind="open_during",
    date_column="cin_start_date", end_column="cin_closure_date",
    numerator="count(*)", breakdown="primary_need_code", breakdown_values=PRIMARY_NEED_CODES,
))
