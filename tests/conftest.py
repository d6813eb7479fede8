"""Shared fixtures. All data here is synthetic: made-up ids, never real records."""
from __future__ import annotations

from pathlib import Path

import pytest

KEY = b"test-key-not-secret-0123456789"


@pytest.fixture(autouse=True)
def _isolated_key(tmp_path_factory, monkeypatch):
    """Never touch the user's real key file: each test session gets its own key file."""
    monkeypatch.setenv("SCORECARD_KEY_FILE", str(tmp_path_factory.getbasetemp() / "keys" / "pseudonym.key"))
    monkeypatch.delenv("SCORECARD_PSEUDONYM_KEY", raising=False)


@pytest.fixture
def key() -> bytes:
    return KEY


@pytest.fixture
def raw(tmp_path) -> Path:
    d = tmp_path / "raw"
    d.mkdir()
    return d


def snapshot(con) -> dict:
    """Every row of every table in the database, for before/after comparisons."""
    out = {}
    for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' "
            "order by 1, 2").fetchall():
        out[f"{schema}.{name}"] = sorted(map(repr, con.execute(f'select * from "{schema}"."{name}"').fetchall()))
    return out


def tree_state(folder: Path) -> dict:
    """Name -> (size, mtime_ns, bytes) of every file under ``folder``."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}
