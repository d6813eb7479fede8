"""Missing episodes and return home interview (RHI) metrics."""
from __future__ import annotations

from .definitions import Metric, register

__all__ = ["GROUP"]

GROUP = "Missing and return home interviews"

register(Metric(
    id="missing_episodes", title="Missing episodes", group=GROUP, unit="count",
    polarity="neutral",
    description="Missing episodes starting in the period.",
    periods=("month", "year"), mart="missing_episodes", date_column="missing_start_date",
    numerator="count(*)",
))
register(Metric(
    id="missing_children", title="Children missing", group=GROUP, unit="count",
    polarity="neutral",
    description="Distinct children with a missing episode starting in the period.",
    periods=("month", "year"), mart="missing_episodes", date_column="missing_start_date",
    numerator="count(distinct child_id)",
))
register(Metric(
    id="missing_repeat_children", title="Children missing 3 or more times", group=GROUP,
    unit="count", polarity="neutral",
    description="Children with 3 or more missing episodes starting in the period.",
    periods=("year",), mart="missing_child_years", date_column="year_start_date",
    numerator="count(*) filter (where is_repeat)",
))
register(Metric(
    id="rhi_offered", title="Return home interviews offered", group=GROUP, unit="count",
    polarity="neutral",
    description="Return interviews linked to episodes whose return (missing_end_datetime) is "
                "in the period, with rhi_offered_date present.",
    periods=("month", "year"), mart="return_interviews", date_column="return_date",
    numerator="count(*) filter (where is_offered)",
))
register(Metric(
    id="rhi_accepted", title="Return home interviews accepted", group=GROUP, unit="count",
    polarity="neutral",
    description="As rhi_offered, with rhi_accepted = Y.",
    periods=("month", "year"), mart="return_interviews", date_column="return_date",
    numerator="count(*) filter (where is_accepted)",
))
register(Metric(
    id="rhi_completed_72h", title="Return home interviews completed within 72 hours",
    group=GROUP, unit="count", polarity="neutral",
    description="Return interviews linked to episodes whose return is in the period, completed "
                "at most 72 hours after the return (whatever rhi_accepted says).",
    periods=("month", "year"), mart="return_interviews", date_column="return_date",
    numerator="count(*) filter (where is_completed_72h)",
))
register(Metric(
    id="rhi_completed_72h_pct", title="Accepted return home interviews completed within 72 hours",
    group=GROUP, unit="percent", polarity="higher",
    description="rhi_completed_72h / rhi_accepted x 100.",
    periods=("month", "year"), mart="return_interviews", date_column="return_date",
    numerator="count(*) filter (where is_completed_72h)",
    denominator="count(*) filter (where is_accepted)",
))
