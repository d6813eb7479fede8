"""``generate()``: synthetic partnership data, migration artefacts on demand, and files."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ..errors import ConfigError
from .answer_key import AnswerKey
from .artefacts import ARTEFACTS, Context, apply_artefacts
from .simulate import Params, simulate
from .writers import DATE_STYLES, ENCODINGS, FLAG_STYLES, FORMATS, write

__all__ = ["generate", "SynthResult", "SynthArgumentError", "describe"]


class SynthArgumentError(ConfigError, ValueError):
    """A bad argument to the generator (a ``ValueError`` and a ``ConfigError``: exit code 2)."""


@dataclass
class SynthResult:
    """What :func:`generate` made.

    ``tables``: table name -> polars DataFrame in canonical columns and types (the true
    values: ``unparseable_dates`` only changes the written text files).
    ``answer_key``: every artefact entry. ``files``: the files written, in order.
    ``params``: the validated parameters (``params.extract_date`` is the extract day).
    """

    tables: dict[str, pl.DataFrame]
    answer_key: AnswerKey
    files: list[Path]
    params: Params


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SynthArgumentError(message)


def _choices(values: Iterable[str] | str, known: Iterable[str], what: str) -> tuple[str, ...]:
    vals = (values,) if isinstance(values, str) else tuple(values)
    known = tuple(known)
    bad = [v for v in vals if v not in known]
    _check(not bad, f"unknown {what} {', '.join(map(repr, bad))}; expected one of {', '.join(known)}")
    return tuple(dict.fromkeys(vals))


def generate(out_dir: str | Path | None, *, la_code: int = 370, start_year: int = 2021,
             years: int = 2, seed: int = 1, scale: float = 1.0, artefacts: Iterable[str] = (),
             cutover: str | date = "2022-07-01", formats: Iterable[str] = ("csv",),
             encoding: str = "utf-8", date_style: str = "iso", flag_style: str = "YN",
             split_monthly: bool = False,
             answer_key_path: str | Path | None = None) -> SynthResult:
    """Generate record-level histories for one LA and write them to ``out_dir``.

    :param out_dir: folder for the raw files (``None``: write nothing, just return tables).
        With one format the files go straight into ``out_dir``; with several, each format
        gets its own sub-folder (``out_dir/csv``, ``out_dir/xlsx``, ...) so that a loader
        pointed at one folder never reads the same records twice.
    :param la_code: DfE (old) LA code, used by the CIN census writer and recorded in the key.
    :param start_year: first financial year of the window (2021 = 2021-22).
    :param years: financial years in the window; one look-back year before it is included.
    :param seed: same seed, same parameters -> byte-identical files.
    :param scale: volume multiplier; 1.0 resembles Barnsley 2022/23 in one year.
    :param artefacts: names from :data:`scorecard.synth.ARTEFACTS` to inject (all off by default).
    :param cutover: the day the new system (Mosaic) went live; records dated before it
        have TED ids, later ones numeric ids.
    :param formats: any of ``csv``, ``xlsx``, ``parquet``, ``annex_a``, ``cin_census``, ``mosaic``,
        ``ted`` (the records each system created, as its report exports; together they hold
        every record but the contacts), ``ssd`` (Standard Safeguarding Dataset v1.4.5 tables),
        ``ssda903`` (903 Header and Missing tables of the looked-after children's missing episodes).
    :param encoding: CSV encoding: ``utf-8``, ``utf-8-sig`` (BOM) or ``cp1252``.
    :param date_style: CSV dates ``iso`` (YYYY-MM-DD) or ``uk`` (DD/MM/YYYY).
    :param flag_style: CSV flags ``YN``, ``YesNo``, ``10`` or ``TrueFalse``.
    :param split_monthly: write ``referrals_2022-04.csv``-style monthly files (CSV, XLSX,
        Parquet) by each record's main date; ``children`` stays one file.
    :param answer_key_path: where to save the answer key as JSON; it must be outside
        ``out_dir`` (the loader would take it for data).
    :raises SynthArgumentError: (a ``ValueError``) for any bad argument.
    """
    arts = _choices(artefacts, ARTEFACTS, "artefact")
    fmts = _choices(formats, FORMATS, "format")
    _check(bool(fmts) or out_dir is None, "no output format given")
    _check(encoding in ENCODINGS, f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    _check(date_style in DATE_STYLES, f"unknown date style {date_style!r}; expected iso or uk")
    _check(flag_style in FLAG_STYLES,
           f"unknown flag style {flag_style!r}; expected one of {', '.join(FLAG_STYLES)}")
    _check(isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0,
           f"scale must be a number greater than 0, not {scale!r}")
    _check(scale <= 1000, f"scale {scale} is too large (at most 1000)")
    _check(isinstance(years, int) and 1 <= years <= 20, f"years must be a whole number 1-20, not {years!r}")
    _check(isinstance(start_year, int) and 2000 <= start_year <= 2100,
           f"start_year must be a year between 2000 and 2100, not {start_year!r}")
    _check(isinstance(seed, int) and seed >= 0, f"seed must be a whole number >= 0, not {seed!r}")
    _check(isinstance(la_code, int) and 100 <= la_code <= 999, f"la_code must be a 3-digit DfE code, not {la_code!r}")
    try:
        cut = cutover if isinstance(cutover, date) else date.fromisoformat(str(cutover))
    except ValueError:
        raise SynthArgumentError(f"cutover {cutover!r} is not a date (YYYY-MM-DD)") from None
    params = Params(la_code, start_year, years, seed, float(scale), cut)
    needs_cutover = {"cutover_gap", "duplicate_migration", "code_drift", "discontinued_code"} & set(arts)
    _check(not needs_cutover or params.history_start < cut <= params.window_end,
           f"artefact(s) {', '.join(sorted(needs_cutover))} need a cutover inside "
           f"{params.history_start}..{params.window_end}, not {cut}")
    _check("unparseable_dates" not in arts or out_dir is None or {"csv", "xlsx"} & set(fmts),
           "unparseable_dates needs a text format (csv or xlsx)")
    out = Path(out_dir) if out_dir is not None else None
    if answer_key_path is not None and out is not None:
        k, o = Path(answer_key_path).resolve(), out.resolve()
        _check(o != k.parent and o not in k.parents,
               f"answer key {answer_key_path} must not be inside the raw folder {out_dir}")

    sim = simulate(params)
    key = AnswerKey(meta={"la_code": la_code, "start_year": start_year, "years": years, "seed": seed,
                          "scale": float(scale), "cutover": cut.isoformat(),
                          "extract_date": params.extract_date.isoformat(), "artefacts": list(arts)})
    ctx = Context(params, sim.ids, key)
    tables = apply_artefacts(sim.tables, ctx, arts)

    files: list[Path] = []
    if out is not None:
        options = dict(encoding=encoding, date_style=date_style, flag_style=flag_style,
                       split_monthly=split_monthly)
        for fmt in fmts:
            target = out if len(fmts) == 1 else out / fmt
            files += write(fmt, tables, target, la_code=la_code, options=options,
                           overrides=ctx.overrides, key=key, params=params)
    if answer_key_path is not None:
        key.save(answer_key_path)
    return SynthResult(tables, key, files, params)


def describe(result: SynthResult) -> str:
    """A few lines for the CLI: what was written, how much, which artefacts."""
    p = result.params
    lines = [(f"Synthetic data for LA {p.la_code}: {p.years} financial year(s) from "
              f"{p.window_start} to {p.window_end} (plus a look-back year), "
              f"scale {p.scale:g}, seed {p.seed}.")]
    lines.append("Rows: " + ", ".join(f"{n} {df.height:,}" for n, df in result.tables.items()))
    if result.files:
        folders = sorted({str(f.parent) for f in result.files})
        lines.append(f"Wrote {len(result.files)} file(s) to {', '.join(folders)}.")
    arts = result.answer_key.meta.get("artefacts", [])
    if arts:
        counts = {a: len(result.answer_key.records(a)) for a in arts}
        lines.append("Artefacts: " + ", ".join(f"{a} ({n} records)" for a, n in counts.items()))
    return "\n".join(lines)
