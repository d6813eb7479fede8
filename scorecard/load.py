"""Loading extracts into the store: raw -> quarantine -> staging, atomically.

Every file under the raw folder is read (never written) into canonical rows
(:mod:`scorecard.canonical`), checked cell by cell, pseudonymised and inserted into
``raw.<table>`` (:mod:`scorecard.ingest`); cells that cannot be
parsed go to ``quarantine.rejected_rows`` (and their row is kept out of staging); every file
is recorded in the ``meta.loads`` ledger. The whole load is one transaction: a structural
problem anywhere (unreadable file, missing required column, unknown extract) rolls back
everything and the database is exactly as it was.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from .canonical import DATA_SUFFIXES, discover, frames_for
from .canonical import digest as file_digest
from .canonical import run as _run  # one name, so a test can record what a load runs
from .db import sql_text
from .errors import ScorecardError, StructuralError
from .ingest import ingest, pseudonymise
from .schema import TABLES

__all__ = ["load", "LoadReport", "FileResult", "discover", "file_facts", "pseudonymise", "DATA_SUFFIXES"]

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    """What happened to one (file, table) pair."""

    file: str
    table: str
    status: str  # loaded | duplicate | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""


@dataclass
class LoadReport:
    """The outcome of :func:`load`."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def notes(self) -> list[str]:
        """What loaded files said that a person should know (``file: note``), once per file."""
        seen: dict[str, str] = {}
        for f in self.files:
            if f.status == "loaded" and f.message:
                seen.setdefault(f.file, f.message)
        return [f"{file}: {message}" for file, message in seen.items()]

    def summary(self) -> str:
        by = {s: sum(1 for f in self.files if f.status == s) for s in ("loaded", "duplicate", "skipped")}
        text = (f"{by['loaded']} file(s) loaded, {by['duplicate']} already loaded, {by['skipped']} skipped; "
                f"{self.rows_loaded} rows loaded, {self.rows_rejected} rows quarantined")
        return "; ".join([text] + self.notes)


def rebuild_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Re-create each ``staging.<table>`` from raw (run inside the load transaction) whose
    inputs changed: a staging table is a function of its model, of the shared macros it calls
    (``macros.sql``) and of the rows of its loads that stand (raw rows never change once
    loaded), so it is rebuilt when the text of its model or of the macros, or its set of
    standing loads, differs from when it was last built (``meta.staging_models``). A re-run
    whose files were all loaded before rebuilds nothing."""
    standing = dict(con.execute(
        "select table_name, list(load_id order by load_id) from meta.loads where status = 'loaded' "
        "group by table_name").fetchall())
    built = dict(con.execute("select table_name, fingerprint from meta.staging_models").fetchall())
    macros = sql_text("macros.sql")
    for name in TABLES:
        model = sql_text("staging", name + ".sql")
        fingerprint = hashlib.sha256(
            f"{model}\x1f{macros}\x1f{standing.get(name) or []}".encode()).hexdigest()
        if built.get(name) == fingerprint:
            continue
        _run(con, f"create or replace table staging.{name} as {model}")
        _run(con, "insert or replace into meta.staging_models values ($t, $f)", {"t": name, "f": fingerprint})


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path, *, key: bytes, mappings: Iterable[Path] = (),
         run_id: int | None = None, progress: Callable[[str], None] | None = None,
         transaction: bool = True, la_code: int | None = None) -> LoadReport:
    """Load every extract file under ``raw_dir`` into the store, in one transaction.

    :param con: a connection from :func:`scorecard.db.connect`.
    :param raw_dir: folder of extract files (read, never written).
    :param key: pseudonymisation key (:func:`scorecard.config.pseudonym_key`).
    :param mappings: extra folders of mapping files for bespoke exports.
    :param run_id: the run this load belongs to (ledger).
    :param progress: called with a short message per file.
    :param transaction: run in a transaction of its own (False: the caller holds one).
    :param la_code: the LA the data must belong to: a file that names another LA (a CIN census
        header's ``LEA``, an Annex A front sheet) stops the load. ``None``: not checked.
    :raises StructuralError: nothing is loaded; the database is unchanged.
    """
    from .formats.mapping import load_mappings

    raw_dir = Path(raw_dir)
    files, skipped = discover(raw_dir)
    if not files:
        raise ScorecardError(f"{raw_dir}: no extract files found (expected .csv, .xlsx, .parquet or .xml)")
    maps = load_mappings(list(mappings))
    report = LoadReport([FileResult(p.relative_to(raw_dir).as_posix() + ("/" if p.is_dir() else ""), "",
                                    "skipped", message=reason) for p, reason in skipped])
    if transaction:
        _run(con, "begin transaction")
    try:
        # the pseudonyms of this load's person ids (made afresh: they are the key's)
        _run(con, "create or replace temp table _pseud (k varchar, p varchar)")
        ledger = _Ledger(con, run_id)
        with tempfile.TemporaryDirectory(prefix="scorecard-") as tmpname:
            tmp = Path(tmpname)
            rels = [path.relative_to(raw_dir).as_posix() for path in files]
            # every path whose content changed is superseded before any file is judged a
            # duplicate: a copy of a file's old content (an archived month) read before the
            # file's new version is then loaded, not taken for the version being replaced
            scans = [file_digest(path) for path in files]
            for rel, (digest, *_) in zip(rels, scans):
                if ledger.changed(rel, digest):
                    ledger.supersede(rel)
            for path, rel, scanned in zip(files, rels, scans):
                if progress:
                    progress(rel)
                report.files.extend(_load_file(con, path, rel, key, maps, ledger, tmp, la_code, scanned))
        _run(con, "drop table _pseud")
        rebuild_staging(con)
        if transaction:
            _run(con, "commit")
    except BaseException:
        if transaction:
            _run(con, "rollback")
        raise
    return report


class _Ledger:
    """What ``meta.loads`` says during one load (inside its transaction), read once: the file
    each loaded digest came from, and the next load id. Every change the load makes to the
    ledger goes through it, so it stays what ``meta.loads`` holds without a query per file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: int | None):
        self.con, self.run_id = con, run_id
        #: digest -> the paths it stands loaded from (one, unless the ledger was made otherwise)
        self.loaded: dict[str, set[str]] = {}
        for digest, rel in con.execute("select distinct sha256, source_file from meta.loads "
                                       "where status = 'loaded'").fetchall():
            self.loaded.setdefault(digest, set()).add(rel)
        self.next_id = con.execute("select coalesce(max(load_id), 0) + 1 from meta.loads").fetchall()[0][0]

    def prior(self, digest: str) -> str | None:
        """The path a file of this content stands loaded from, if any."""
        paths = self.loaded.get(digest)
        return min(paths) if paths else None

    def changed(self, rel: str, digest: str) -> bool:
        """Whether ``rel`` stands loaded with content other than ``digest``."""
        return any(rel in paths for d, paths in self.loaded.items() if d != digest)

    def supersede(self, rel: str) -> None:
        """A changed file at a path loaded before supersedes the earlier version."""
        if not any(rel in paths for paths in self.loaded.values()):
            return
        _run(self.con, "update meta.loads set status = 'superseded', message = 'replaced by a newer version of "
                       "the file' where source_file = $f and status = 'loaded'", {"f": rel})
        self.loaded = {d: paths - {rel} for d, paths in self.loaded.items() if paths - {rel}}

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add(self, rel, table, fmt, size, digest, read, loaded, rejected, status, message,
            load_id: int | None = None, source: str | None = None) -> None:
        _run(
            self.con, "insert into meta.loads (load_id, run_id, source_file, table_name, format, size_bytes, "
            "sha256, rows_read, rows_loaded, rows_rejected, loaded_at, status, message, source) values ($id, $run, "
            "$f, $t, $fmt, $size, $h, $read, $loaded, $rej, current_timestamp, $status, $msg, $source)",
            {"id": self.new_id() if load_id is None else load_id, "run": self.run_id, "f": rel, "t": table,
             "fmt": fmt, "size": size, "h": digest, "read": read, "loaded": loaded, "rej": rejected,
             "status": status, "msg": message, "source": source})
        if status == "loaded":
            self.loaded.setdefault(digest, set()).add(rel)


def _check_la(rel: str, facts: dict, la_code: int | None) -> None:
    """Stop when a file names an LA other than the build's."""
    named = facts.get("la_code")
    if la_code is None or named is None or str(named).strip() == "":
        return
    text = str(named).strip()
    code = re.match(r"(\d{3})\b", text)   # "370" or "370 Barnsley"
    if not (code and int(code.group(1)) == int(la_code)):
        what = {"cin_census": "CIN census header (LEA)",
                "annex_a": "Annex A front sheet (LA code)"}.get(facts.get("format"), "file")
        raise StructuralError(rel, f"the {what} is for LA {text}, but this build is for LA {int(la_code):03d} "
                                   f"(--la): check that this is the authority's own return")


def _record_facts(con, rel: str, digest: str, facts: dict, run_id) -> None:
    _run(con, "insert into meta.file_facts values ($f, $h, $fmt, $col, $year, $ref, $census, $la, $facts, "
              "$unknown, $run)",
         {"f": rel, "h": digest, "fmt": facts.get("format"), "col": facts.get("collection"),
          "year": facts.get("collection_year"), "ref": facts.get("reference_date"),
          "census": facts.get("census_year"), "la": facts.get("la_code"),
          "facts": json.dumps(facts.get("facts") or {}, ensure_ascii=False, default=str),
          "unknown": int(facts.get("unknown_elements") or 0), "run": run_id})


def file_facts(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The facts of the files currently loaded (``meta.file_facts`` of files whose load is
    ``loaded``), newest reference date first."""
    cur = con.execute(
        "select distinct f.* exclude (facts), f.facts from meta.file_facts f join meta.loads l "
        "on l.source_file = f.source_file and l.sha256 = f.sha256 and l.status = 'loaded' "
        "order by f.reference_date desc nulls last, f.source_file")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _load_file(con, path: Path, rel: str, key: bytes, maps, ledger: _Ledger, tmp: Path,
               la_code: int | None, scanned: tuple[str, str | None, bool]) -> list[FileResult]:
    """Load one file; ``scanned`` is its digest, what text it is and whether it may hold an
    empty line (:func:`file_digest`)."""
    from .formats import Skip

    digest, utf8, empty_lines = scanned
    size = path.stat().st_size
    prior = ledger.prior(digest)
    if prior is not None:
        msg = "already loaded" if prior == rel else f"same content as {prior}, already loaded"
        ledger.add(rel, "", "", size, digest, 0, 0, 0, "duplicate", msg)
        return [FileResult(rel, "", "duplicate", message=msg)]
    try:
        items, facts = frames_for(con, path, rel, maps, tmp, key, utf8=utf8, empty_lines=empty_lines)
    except Skip as exc:
        ledger.add(rel, "", path.suffix.lower().lstrip("."), size, digest, 0, 0, 0, "skipped", str(exc))
        log.info("skipped %s: %s", rel, exc)
        return [FileResult(rel, "", "skipped", message=str(exc))]
    note = ""
    if facts is not None:
        _check_la(rel, facts, la_code)
        _record_facts(con, rel, digest, facts, ledger.run_id)
        note = "; ".join(facts.get("notes") or [])
    results = []
    for table, fill, location, source in items:
        load_id = ledger.new_id()
        fill()
        read, rejected = ingest(con, table, location, rel, key, load_id)
        ledger.add(rel, table, path.suffix.lower().lstrip("."), size, digest, read, read - rejected, rejected,
                   "loaded", note, load_id=load_id, source=source)
        results.append(FileResult(rel, table, "loaded", read, read - rejected, rejected, note))
        log.info("loaded %s -> %s: %d rows, %d quarantined", location, table, read, rejected)
    if note:
        log.warning("%s: %s", rel, note)
    return results
