"""What validation hands back: the validation and impact frames, the plain-English summary,
and the files written to the build's output folder."""
from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ..periods import parse_period

__all__ = [
    "IMPACT_SCHEMA",
    "TABLE_METRICS",
    "VALIDATION_COLUMNS",
    "ValidationResult",
    "impact_frame",
    "summary_text",
    "validation_frame",
]

VALIDATION_COLUMNS = ["check_id", "table", "severity", "record_id", "period", "message"]

IMPACT_SCHEMA = {
    "check_id": pl.Utf8, "severity": pl.Utf8, "table": pl.Utf8, "records": pl.Int64,
    "metric_id": pl.Utf8, "period": pl.Utf8, "breakdown": pl.Utf8, "value": pl.Float64,
    "value_without": pl.Float64, "change": pl.Float64,
}

#: the metrics each table feeds (metrics.md), for the summary when no recompute is given
TABLE_METRICS: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts", "contacts_concluded_24h_pct"),
    "referrals": ("referrals", "referrals_rate_per_10k", "rereferrals_12m_pct", "referrals_nfa_pct",
                  "referral_source_pct"),
    "assessments": ("assessments_within_45wd_pct",),
    "cin_episodes": ("cin_open_month_end", "cin_at_31_march", "cin_rate_per_10k", "cin_by_primary_need"),
    "cp_plans": ("cpp_open_month_end", "cpp_avg_open_per_month", "cpp_at_31_march", "cpp_rate_per_10k",
                 "cpp_starts", "cpp_second_or_subsequent_pct", "cpp_ended_2yrs_plus_pct",
                 "cpp_by_latest_category"),
    "missing_episodes": ("missing_episodes", "missing_children", "missing_repeat_children", "rhi_offered",
                         "rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"),
    "return_interviews": ("rhi_offered", "rhi_accepted", "rhi_completed_72h", "rhi_completed_72h_pct"),
    "children": (),
}


def validation_frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    """Rows -> the validation frame: all Utf8, one row per check and record, sorted."""
    frame = pl.DataFrame(rows, schema={c: pl.Utf8 for c in VALIDATION_COLUMNS}, orient="row")
    return frame.fill_null("").unique().sort(VALIDATION_COLUMNS)


def _in_period(label: str, period: str | None) -> bool:
    """Whether a metrics row for ``label`` belongs to the reported ``period`` (itself, or a
    month of it when it is a financial year)."""
    if not period or label == period:
        return True
    try:
        want, got = parse_period(period), parse_period(label)
    except ValueError:
        return False
    return want.kind == "year" and got.kind == "month" and want.start <= got.start <= want.end


def impact_frame(rows: pl.DataFrame,
                 recompute: Callable[[dict[str, set[str]]], pl.DataFrame] | None,
                 period: str | None = None) -> pl.DataFrame:
    """For each failing record-level check, the metrics that change without its records.

    Checks about a whole period (blank record ids) cannot be recomputed away and are left out.
    """
    empty = pl.DataFrame(schema=IMPACT_SCHEMA)
    record_rows = rows.filter(pl.col("record_id") != "")
    if recompute is None or record_rows.is_empty():
        return empty
    key = ["metric_id", "period", "breakdown"]
    base = recompute({}).select(*key, "value")
    parts = []
    for (check_id, severity, table), group in record_rows.group_by(
            ["check_id", "severity", "table"], maintain_order=True):
        ids = set(group["record_id"].to_list())
        without = recompute({table: ids}).select(*key, pl.col("value").alias("value_without"))
        joined = base.join(without, on=key, how="full", coalesce=True, nulls_equal=True)
        changed = joined.filter(
            ((pl.col("value") - pl.col("value_without")).abs() > 1e-9)
            | (pl.col("value").is_null() != pl.col("value_without").is_null()))
        changed = changed.filter(pl.col("period").map_elements(lambda p: _in_period(p, period),
                                                               return_dtype=pl.Boolean))
        if changed.is_empty():
            continue
        parts.append(changed.select(
            pl.lit(check_id).alias("check_id"), pl.lit(severity).alias("severity"),
            pl.lit(table).alias("table"), pl.lit(len(ids), dtype=pl.Int64).alias("records"),
            *key, "value", "value_without",
            (pl.col("value_without") - pl.col("value")).alias("change")))
    if not parts:
        return empty
    return pl.concat(parts).cast(IMPACT_SCHEMA).sort(["check_id", "table", *key])


def _meaning(message: str) -> str:
    if message.startswith("not loaded"):
        return "cell could not be read, row not loaded"
    if message.startswith("Please check"):      # a DfE query: the meaning follows its standard preamble
        message = message.split(": ", 1)[-1]
    return message.split(": ", 1)[0]


def summary_text(rows: pl.DataFrame, impact: pl.DataFrame, *, extract_date: date,
                 cutover_note: str, notes: list[str], recompute_given: bool,
                 affects: pl.DataFrame | None = None, unavailable: list[str] | None = None) -> str:
    """The plain-English summary (Markdown). ``affects`` (the lineage of each failing check,
    :func:`scorecard.validate.lineage.affects_frame`) names the metrics each check touches;
    ``unavailable``: one line per group of metrics that cannot be computed from what was loaded
    (a section of its own when there are any)."""
    errors = rows.filter(pl.col("severity") == "error").height
    warnings = rows.height - errors
    out = ["# Validation summary", "",
           f"Extract date: {extract_date.isoformat()}. {cutover_note[0].upper() + cutover_note[1:]}.", "",
           (f"{errors} error(s) (impossible or contradictory records) and {warnings} warning(s) "
           "(suspicious: someone should look). Validation never changes or drops data: the "
           "records below are still counted in the metrics unless the loader quarantined them "
           "(check ids starting `load.`)."), ""]
    if rows.is_empty():
        out += ["Every check passed.", ""]
    else:
        out += ["## Failing checks", "", "| check | table | severity | records | what it means |",
                "|---|---|---|---|---|"]
        counts = (rows.group_by(["check_id", "table", "severity"])
                  .agg(pl.len().alias("n"), pl.col("message").first())
                  .sort(["severity", "check_id", "table"]))
        for r in counts.iter_rows(named=True):
            out.append(f"| `{r['check_id']}` | {r['table']} | {r['severity']} | {r['n']} | {_meaning(r['message'])} |")
        out += ["", "## Effect on the metrics", ""]
        for r in counts.iter_rows(named=True):
            line = f"- `{r['check_id']}` ({r['table']}): "
            affected = TABLE_METRICS.get(r["table"], ())
            if affects is not None:
                touched = affects.filter((pl.col("check_id") == r["check_id"])
                                         & (pl.col("table") == r["table"]))
                affected = tuple(dict.fromkeys(touched["metric_id"].to_list()))
                line += ("the records it flags feed " + (", ".join(affected) or "no metric")
                         + "; ")
            sub = impact.filter((pl.col("check_id") == r["check_id"]) & (pl.col("table") == r["table"]))
            if not sub.is_empty():
                top = sub.with_columns(pl.col("change").abs().alias("_abs")).sort(
                    ["_abs", "metric_id", "period", "breakdown"], descending=[True, False, False, False])
                shown = [f"{m['metric_id']} {m['period']}{' ' + m['breakdown'] if m['breakdown'] else ''}: "
                         f"{_num(m['value'])} -> {_num(m['value_without'])}"
                         for m in top.head(5).iter_rows(named=True)]
                more = sub.height - len(shown)
                line += (f"without these {r['n']} record(s) {sub.height} metric value(s) change; largest: "
                         + "; ".join(shown) + (f"; and {more} more (see the impact table)" if more else ""))
            elif rows.filter((pl.col("check_id") == r["check_id"]) & (pl.col("table") == r["table"])
                             & (pl.col("record_id") != "")).is_empty():
                line += ("a whole period is affected; " + ("they may be understated or shifted there"
                         if affects is not None else "these metrics may be understated or shifted: "
                         + (", ".join(affected) or "none of the core metrics")))
            elif recompute_given:
                line += "no metric value for the reported periods changes without these records"
            else:
                line += "may affect " + (", ".join(affected) or "none of the core metrics") + " (not recomputed)"
            out.append(line)
        out.append("")
    if unavailable:
        out += ["## Metrics that cannot be computed from what was loaded", "",
                "These metrics are left out of metrics.csv and the reports (not shown as zero), "
                "because no loaded file gives what they need:", ""]
        out += [f"- {line}" for line in unavailable] + [""]
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out)


def _num(v: float | None) -> str:
    return "blank" if v is None else f"{v:.4g}"


@dataclass
class ValidationResult:
    """The outcome of :func:`scorecard.validate.validate`."""

    rows: pl.DataFrame
    impact: pl.DataFrame
    summary_text: str
    extract_date: date
    cutover: date | None
    docs_dir: Path | None = None
    notes: list[str] = field(default_factory=list)
    #: the metrics each failing check touches, by lineage (``lineage.AFFECTS_SCHEMA``)
    affects: pl.DataFrame | None = None
    #: the DfE CIN census rules' findings in the DfE's error-report shape (cin_census_errors.csv)
    census_errors: pl.DataFrame | None = None
    #: the process rendering the Data Docs into ``docs_dir`` (``docs.DocsWorker``), if still
    #: running: :meth:`write` waits for it
    docs_job: Any = None
    #: whether the outcome came from ``meta.validation_cache`` (an unchanged load)
    cached: bool = False
    #: called once with the written Data Docs folder (to keep them for a re-run, ``cache.put_docs``)
    on_docs: Any = None

    @property
    def errors(self) -> int:
        """Number of failing records of severity ``error``."""
        return self.rows.filter(pl.col("severity") == "error").height

    @property
    def warnings(self) -> int:
        """Number of failing records of severity ``warning``."""
        return self.rows.filter(pl.col("severity") == "warning").height

    def write(self, out_dir: Path) -> None:
        """Write ``validation.csv``, ``cin_census_errors.csv``, ``validation_summary.md`` and
        ``validation/`` (Data Docs)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.rows.select(VALIDATION_COLUMNS).write_csv(out_dir / "validation.csv")
        if self.census_errors is not None:
            self.census_errors.write_csv(out_dir / "cin_census_errors.csv", null_value="")
        (out_dir / "validation_summary.md").write_text(self.summary_text, encoding="utf-8")
        target = out_dir / "validation"
        if self.docs_job is not None:
            self.docs_job.wait()
        if self.docs_dir is not None and self.docs_dir.resolve() != target.resolve():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(self.docs_dir, target)
            _stabilise_docs(target)
            if self.on_docs is not None:
                self.on_docs(target)
                self.on_docs = None


_RENDER_TIME = re.compile(r"\d{8}T\d{6}\.\d{6}Z")
_RANDOM_IDS = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b")


def _stabilise_docs(folder: Path) -> None:
    """Make the GX Data Docs byte-identical between runs on the same inputs.

    GX stamps each page with the time it was rendered and with random ids (collapse-panel
    UUIDs, validation result ids). The run time GX is given is already fixed (the extract date);
    render times and random ids are replaced by that run time and by ids numbered in order of
    appearance, which keeps every in-page link working.
    """
    for page in sorted(folder.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        run_times = sorted(set(re.findall(r"/(\d{8}T\d{6}\.\d{6}Z)/", page.as_posix())))
        fixed = run_times[0] if run_times else "00000000T000000.000000Z"
        text = _RENDER_TIME.sub(fixed, text)
        ids: dict[str, str] = {}
        text = _RANDOM_IDS.sub(lambda m: ids.setdefault(m.group(0), f"id{len(ids) + 1:06d}"), text)
        page.write_text(text, encoding="utf-8")
