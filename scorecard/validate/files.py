"""Validate files without building reports: ``scorecard validate FILE_OR_DIR``.

A CIN census XML file (or a folder of extracts) is loaded into a database of its own (in
memory unless one is given), validated like a build validates, and the findings written where
asked. The raw files are only read.
"""
from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import polars as pl

from ..errors import ScorecardError
from .report import IMPACT_SCHEMA, ValidationResult, summary_text, validation_frame

__all__ = ["FileValidation", "validate_path"]


@dataclass
class FileValidation:
    """What :func:`validate_path` did: the load and the validation."""

    load: object                 # scorecard.load.LoadReport
    result: ValidationResult
    census: object               # scorecard.validate.cin_rules.CensusCheck (None with every suite)

    @property
    def exit_code(self) -> int:
        """0: no error; 1: checks of severity error failed (as a build)."""
        return 1 if self.result.errors else 0


@contextlib.contextmanager
def _as_folder(path: Path):
    """A folder holding ``path`` (itself when it is a folder; a temporary link to a file)."""
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise ScorecardError(f"{path}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="scorecard-validate-") as tmp:
        link = Path(tmp) / path.name
        link.symlink_to(path.resolve())
        yield Path(tmp)


def validate_path(path: str | Path, *, key: bytes, out_dir: Path | None = None, db: str | Path = ":memory:",
                  la_code: int | None = None, period: str | None = None, mappings: Iterable[Path] = (),
                  dfe_only: bool = False) -> FileValidation:
    """Load ``path`` (a file or a folder of extracts) and validate it.

    :param key: the pseudonymisation key (ids are pseudonymised on load, as in a build).
    :param out_dir: where ``validation.csv``, ``cin_census_errors.csv``, ``validation_summary.md``
        and (unless ``dfe_only``) the Data Docs go; nothing is written when ``None``.
    :param db: the database to load into (default: a temporary one in memory).
    :param la_code: a census whose header names another LA stops the load (exit 2).
    :param period: the period of the records outside census files (default: the latest
        complete financial year of the data).
    :param dfe_only: only the DfE CIN census rules and the load's quarantine (no Great
        Expectations suites): seconds instead of tens of seconds on a large census.
    :raises StructuralError: the file cannot be loaded; nothing is validated.
    """
    from .. import db as dbmod
    from ..load import load

    with _as_folder(Path(path)) as folder, dbmod.exclusive(db):
        con = dbmod.connect(db)
        try:
            report = load(con, folder, key=key, mappings=tuple(mappings), la_code=la_code)
            if dfe_only:
                result, census = _dfe_only(con, period)
            else:
                from . import validate

                result, census = validate(con, None, period=period), None
            if out_dir is not None:
                result.write(Path(out_dir))
        finally:
            con.close()
    return FileValidation(report, result, census)


def _dfe_only(con, period: str | None):
    from .checks import detect_extract_date, quarantine_rows
    from .cin_rules import check

    extract_date = detect_extract_date(con)
    census = check(con, period=period, extract_date=extract_date)
    frame = validation_frame(quarantine_rows(con) + census.rows)
    impact = pl.DataFrame(schema=IMPACT_SCHEMA)
    notes = census.notes + ["Only the DfE CIN census rules and the load's checks ran (--dfe-only): "
                            "run without it for every check and the Data Docs."]
    text = summary_text(frame, impact, extract_date=extract_date,
                        cutover_note="the cut-over checks were not run (--dfe-only)", notes=notes,
                        recompute_given=False)
    return ValidationResult(frame, impact, text, extract_date, None, None, notes,
                            census_errors=census.errors), census


