"""Child protection metrics: plans open, starting, repeat plans, long plans and categories."""
from __future__ import annotations

from ..schema import CP_CATEGORIES
from .definitions import Metric, register

__all__ = ["GROUP"]

GROUP = "Child protection"

register(Metric(
    id="cpp_open_month_end", title="Children on a CP plan at month end", group=GROUP,
    unit="count", polarity="neutral",
    description="Distinct children with a CP plan open at the last day of the month.",
    periods=("month",), mart="cp_plans", kind="open_at_end",
    date_column="cp_plan_start_date", end_column="cp_plan_end_date",
    numerator="count(distinct child_id)",
))
register(Metric(
    id="cpp_avg_open_per_month", title="Average children on a CP plan per month", group=GROUP,
    unit="mean", polarity="neutral",
    description="Mean of the 12 monthly cpp_open_month_end values in the year.",
    periods=("year",), mart="cp_plans", kind="mean_of_months", of="cpp_open_month_end",
))
register(Metric(
    id="cpp_at_31_march", title="Children on a CP plan at 31 March", group=GROUP, unit="count",
    polarity="neutral",
    description="Distinct children with a CP plan open at 31 March.",
    periods=("year",), mart="cp_plans", kind="open_at_end",
    date_column="cp_plan_start_date", end_column="cp_plan_end_date",
    numerator="count(distinct child_id)",
    benchmark="cpp_at_31_march",
))
register(Metric(
    id="cpp_rate_per_10k", title="Children on a CP plan per 10,000 children", group=GROUP,
    unit="rate_per_10k", polarity="neutral",
    description="cpp_at_31_march / ONS mid-year 0-17 population x 10,000.",
    periods=("year",), mart="cp_plans", kind="open_at_end",
    date_column="cp_plan_start_date", end_column="cp_plan_end_date",
    numerator="count(distinct child_id)",
    benchmark="cpp_rate_per_10k",
))
register(Metric(
    id="cpp_starts", title="CP plans starting", group=GROUP, unit="count", polarity="neutral",
    description="CP plans starting in the period.",
    periods=("year",), mart="cp_plans", date_column="cp_plan_start_date",
    numerator="count(*)", benchmark="cpp_starts",
))
register(Metric(
    id="cpp_second_or_subsequent_pct", title="CP plans that are a second or subsequent plan",
    group=GROUP, unit="percent", polarity="lower",
    description="% of plans starting in the period where the child had an earlier CP plan "
                "(earlier start date) at any time.",
    periods=("year",), mart="cp_plans", date_column="cp_plan_start_date",
    numerator="count(*) filter (where is_second_or_subsequent)", denominator="count(*)",
    benchmark="cpp_second_or_subsequent_pct",
))
register(Metric(
    id="cpp_ended_2yrs_plus_pct", title="CP plans ending that lasted 2 years or more",
    group=GROUP, unit="percent", polarity="lower",
    description="% of plans ending in the period that lasted 730 days or more (end - start).",
    periods=("year",), mart="cp_plans", date_column="cp_plan_end_date",
    numerator="count(*) filter (where is_2yrs_plus)", denominator="count(*)",
    benchmark="cpp_ended_2yrs_plus_pct",
))
register(Metric(
    id="cpp_by_latest_category", title="CP plans by latest category", group=GROUP, unit="count",
    polarity="neutral",
    description="CP plans open at any point in the period, by latest category (initial "
                "category where latest is blank): NEG/EMO/PHY/SAB/MUL.",
    periods=("year",), mart="cp_plans", kind="open_during",
    date_column="cp_plan_start_date", end_column="cp_plan_end_date",
    numerator="count(*)", breakdown="category_latest", breakdown_values=CP_CATEGORIES,
))
