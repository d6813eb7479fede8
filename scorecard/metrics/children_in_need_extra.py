"""Children in need metrics by duration, in the DfE's bands (Characteristics of children in
need tables B4 and B5; LAIT CINTime* and CINCease*). ``docs/metrics-extensions.md`` gives each
in words. Marts: ``cin_episodes_at_31_march``, ``cin_episodes``.
"""
from __future__ import annotations

from .definitions import Metric, register

__all__ = ["CIN_DURATION_BANDS", "GROUP"]

GROUP = "Children in need"

#: the DfE's bands of a CIN episode's length (tables B4 and B5), shortest first; the labels
#: are those of ``sc_cin_duration_band`` (``scorecard/sql/macros.sql``)
CIN_DURATION_BANDS = ("Under 3 months", "3 months to under 6 months",
                      "6 months to under 1 year", "1 year to under 2 years", "2 years or more")

register(Metric(
    id="cin_at_31_march_by_duration", title="Children in need at 31 March, by duration",
    group=GROUP, unit="percent", polarity="neutral",
    description="Of CIN episodes open at 31 March, % by how long the episode had lasted "
                "(referral date to 31 March) in the DfE's bands: under 3 months, 3 to under "
                "6 months, 6 months to under 1 year (365 days), 1 to under 2 years (730 days), "
                "2 years or more. Referrals with no further action are not episodes of need.",
    periods=("year",), mart="cin_episodes_at_31_march", date_column="census_date",
    numerator="count(*)", denominator="count(*)",
    breakdown="duration_band", breakdown_values=CIN_DURATION_BANDS,
    benchmark=",".join(f"cin_at31_d{i}_pct" for i in range(1, 6)),
))
register(Metric(
    id="cin_ended_by_duration", title="CIN episodes ending, by duration", group=GROUP,
    unit="percent", polarity="neutral",
    description="Of CIN episodes closing in the year, % by the episode's length (referral "
                "date to closure date) in the DfE's bands (as cin_at_31_march_by_duration).",
    periods=("year",), mart="cin_episodes", date_column="cin_closure_date",
    numerator="count(*)", denominator="count(*)",
    breakdown="duration_band", breakdown_values=CIN_DURATION_BANDS,
    benchmark=",".join(f"cin_end_d{i}_pct" for i in range(1, 6)),
))
