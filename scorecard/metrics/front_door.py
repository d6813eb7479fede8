"""Front door metrics: contacts, referrals, re-referrals, sources and assessment timeliness."""
from __future__ import annotations

from .definitions import Metric, register

__all__ = ["GROUP", "SOURCE_GROUPS"]

GROUP = "Front door"

#: Referral source groups, in reporting order (``marts.referrals.source_group``).
SOURCE_GROUPS = ("Police", "Schools/Education", "Health", "Local Authority", "Family/Friend",
                 "Legal Agency", "Other")

register(Metric(
    id="contacts", title="Contacts", group=GROUP, unit="count", polarity="neutral",
    description="Contacts with contact_datetime in the period.",
    periods=("month", "year"), mart="contacts", date_column="contact_date",
    numerator="count(*)",
))
register(Metric(
    id="contacts_concluded_24h_pct", title="Contacts concluded within 24 hours",
    group=GROUP, unit="percent", polarity="higher",
    description="% of contacts in the period whose decision_datetime is at most 24 hours after "
                "contact_datetime (no decision counts as not concluded).",
    periods=("month", "year"), mart="contacts", date_column="contact_date",
    numerator="count(*) filter (where is_concluded_24h)", denominator="count(*)",
))
register(Metric(
    id="referrals", title="Referrals", group=GROUP, unit="count", polarity="neutral",
    description="Referrals with referral_date in the period.",
    periods=("month", "year"), mart="referrals", date_column="referral_date",
    numerator="count(*)", benchmark="referrals",
))
register(Metric(
    id="referrals_rate_per_10k", title="Referrals per 10,000 children", group=GROUP,
    unit="rate_per_10k", polarity="neutral",
    description="Referrals in the year / ONS mid-year 0-17 population (calendar year YYYY for "
                "YYYY-YY) x 10,000.",
    periods=("year",), mart="referrals", date_column="referral_date",
    numerator="count(*)", benchmark="referrals_rate_per_10k",
))
register(Metric(
    id="rereferrals_12m_pct", title="Re-referrals within 12 months", group=GROUP,
    unit="percent", polarity="lower",
    description="% of referrals in the period for which the same child has another referral "
                "dated on or after (referral_date - 1 year) and strictly before referral_date.",
    periods=("year",), mart="referrals", date_column="referral_date",
    numerator="count(*) filter (where is_rereferral_12m)", denominator="count(*)",
    benchmark="rereferrals_pct", lookback_days=365,
))
register(Metric(
    id="referrals_nfa_pct", title="Referrals closed with no further action", group=GROUP,
    unit="percent", polarity="neutral",
    description="% of referrals in the period with referral_nfa = Y.",
    periods=("year",), mart="referrals", date_column="referral_date",
    numerator="count(*) filter (where is_nfa)", denominator="count(*)",
    benchmark="referrals_nfa_pct",
))
register(Metric(
    id="referral_source_pct", title="Referrals by source", group=GROUP, unit="percent",
    polarity="neutral",
    description="% of referrals in the period by source group: Police (6), Schools/Education "
                "(2A, 2B), Health (3A-3F), Local Authority (5A-5D), Family/Friend (1A-1D), "
                "Legal Agency (7), Other (4, 8, 9, 10, blank or unrecognised).",
    periods=("year",), mart="referrals", date_column="referral_date",
    numerator="count(*)", denominator="count(*)",
    breakdown="source_group", breakdown_values=SOURCE_GROUPS,
    benchmark=("referral_source_police_pct,referral_source_schools_pct,"
               "referral_source_health_pct"),
))
register(Metric(
    id="assessments_within_45wd_pct", title="Assessments authorised within 45 working days",
    group=GROUP, unit="percent", polarity="higher",
    description="Of assessments authorised in the period, % authorised within 45 working days "
                "of assessment_start_date (weekends and England and Wales bank holidays "
                "excluded; the start day is day 0).",
    periods=("year",), mart="assessments", date_column="assessment_authorised_date",
    numerator="count(*) filter (where is_within_45wd)", denominator="count(*)",
    benchmark="assessments_45wd_pct",
))
