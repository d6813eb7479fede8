"""Child protection metrics the whole CIN census opens: section 47 enquiries, initial child
protection conferences (ICPCs), plan starts per 10,000, plans by duration and plan reviews.

Definitions and bands are the DfE's (Characteristics of children in need tables C4, D5, D6,
D7; the LAIT indicators named in ``benchmark``); ``docs/metrics-extensions.md`` gives each in
words. Marts: ``s47_enquiries``, ``cp_plans``, ``cp_plans_at_31_march``, ``cp_plan_reviews``.
"""
from __future__ import annotations

from .definitions import Metric, register

__all__ = ["CPP_DURATION_BANDS", "GROUP"]

GROUP = "Child protection"

#: the DfE's bands of a child protection plan's length (table D5), shortest first; the labels
#: are those of ``sc_cpp_duration_band`` (``scorecard/sql/macros.sql``)
CPP_DURATION_BANDS = ("3 months or less", "More than 3 months to 6 months",
                      "More than 6 months to less than 1 year", "1 year to less than 2 years",
                      "2 years or more")

register(Metric(
    id="s47_rate_per_10k", title="Section 47 enquiries per 10,000 children", group=GROUP,
    unit="rate_per_10k", polarity="neutral",
    description="Section 47 enquiries starting in the year (s47_start_date, the strategy "
                "discussion that started the enquiry) / ONS mid-year 0-17 population x 10,000.",
    periods=("year",), mart="s47_enquiries", date_column="s47_start_date",
    numerator="count(*)", benchmark="s47_rate_per_10k",
))
register(Metric(
    id="icpc_rate_per_10k", title="Initial child protection conferences per 10,000 children",
    group=GROUP, unit="rate_per_10k", polarity="neutral",
    description="Initial child protection conferences held in the year (icpc_date of a "
                "section 47 enquiry) / ONS mid-year 0-17 population x 10,000; a child with "
                "two conferences counts twice.",
    periods=("year",), mart="s47_enquiries", date_column="icpc_date",
    numerator="count(*)", benchmark="icpc_rate_per_10k",
))
register(Metric(
    id="icpc_within_15wd_pct",
    title="Initial child protection conferences within 15 working days", group=GROUP,
    unit="percent", polarity="higher",
    description="Of initial child protection conferences held in the year, % held within 15 "
                "working days of the strategy discussion that started the section 47 "
                "enquiry (weekends and England and Wales bank holidays excluded; the "
                "discussion day is day 0).",
    periods=("year",), mart="s47_enquiries", date_column="icpc_date",
    numerator="count(*) filter (where is_icpc_within_15wd)", denominator="count(*)",
    benchmark="icpc_within_15wd_pct",
))
register(Metric(
    id="s47_led_to_icpc_pct", title="Section 47 enquiries that led to a conference",
    group=GROUP, unit="percent", polarity="neutral",
    description="Of section 47 enquiries starting in the year, % with an initial child "
                "protection conference date recorded.",
    periods=("year",), mart="s47_enquiries", date_column="s47_start_date",
    numerator="count(*) filter (where has_icpc)", denominator="count(*)",
    benchmark="icpc_per_s47_pct",
))
register(Metric(
    id="cpp_starts_rate_per_10k", title="CP plans starting per 10,000 children", group=GROUP,
    unit="rate_per_10k", polarity="neutral",
    description="cpp_starts / ONS mid-year 0-17 population x 10,000.",
    periods=("year",), mart="cp_plans", date_column="cp_plan_start_date",
    numerator="count(*)", benchmark="cpp_starts_rate_per_10k",
))
register(Metric(
    id="cpp_at_31_march_by_duration", title="Children on a CP plan at 31 March, by duration",
    group=GROUP, unit="percent", polarity="neutral",
    description="Of children on a CP plan at 31 March, % by how long the plan had lasted at "
                "31 March, in the DfE's bands: 3 months or less, more than 3 to 6 months, "
                "more than 6 months to less than 1 year (365 days), 1 to less than 2 years "
                "(730 days), 2 years or more.",
    periods=("year",), mart="cp_plans_at_31_march", date_column="census_date",
    numerator="count(distinct child_id)", denominator="count(distinct child_id)",
    breakdown="duration_band", breakdown_values=CPP_DURATION_BANDS,
    benchmark=",".join(f"cpp_at31_d{i}_pct" for i in range(1, 6)),
))
register(Metric(
    id="cpp_ended_by_duration", title="CP plans ending, by duration", group=GROUP,
    unit="percent", polarity="neutral",
    description="Of CP plans ending in the year, % by the plan's length (end - start) in "
                "the DfE's bands (as cpp_at_31_march_by_duration); a child whose two plans "
                "end counts twice.",
    periods=("year",), mart="cp_plans", date_column="cp_plan_end_date",
    numerator="count(*)", denominator="count(*)",
    breakdown="duration_band", breakdown_values=CPP_DURATION_BANDS,
    benchmark="cpp_ended_2yrs_plus_pct",
))
register(Metric(
    id="cpp_reviewed_on_time_pct", title="CP plans reviewed within timescales", group=GROUP,
    unit="percent", polarity="higher",
    description="Of children on a CP plan at 31 March who had been on it for at least 3 "
                "months, % whose plan was reviewed within the required timescales in the "
                "year: the first review within 3 months of the start, then at most 6 months "
                "apart, and none overdue at 31 March. Reported only where review dates were "
                "supplied.",
    periods=("year",), mart="cp_plan_reviews", date_column="census_date",
    numerator="count(distinct child_id) filter (where is_reviewed_on_time)",
    denominator="count(distinct child_id)",
    benchmark="cpp_reviewed_on_time_pct",
))
