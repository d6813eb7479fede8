"""Settings: every path and default defined once. Nothing happens on import."""
from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .errors import ConfigError

__all__ = ["Settings", "settings", "pseudonym_key"]

DEFAULT_LA = 370  # Barnsley
KEY_ENV = "SCORECARD_PSEUDONYM_KEY"
KEY_FILE_ENV = "SCORECARD_KEY_FILE"
#: missing episodes reported by two sources up to this many hours apart are one episode
DEFAULT_MISSING_MATCH_HOURS = 24.0
#: a month's figure moving by more than this per cent since the last build is a warning
DEFAULT_REVISION_THRESHOLD = 5.0


@dataclass(frozen=True)
class Settings:
    """Run settings. Build with :func:`settings` so environment variables apply.

    :param la_code: DfE LA code of the authority (default 370, Barnsley).
    :param db: DuckDB database path (``":memory:"`` allowed).
    :param raw_dir: folder of extract files (read-only).
    :param out_dir: folder the build writes reports to.
    :param suppress_below: counts from 1 to ``suppress_below - 1`` are published as "c".
    :param sn_grouping: statistical-neighbour grouping, ``None`` = the one in force for the period.
    :param mappings: extra folders of mapping files for bespoke exports.
    :param key_file: where the pseudonymisation key is kept when not configured.
    :param targets: the partnership's own targets file (TOML or CSV, see
        ``scorecard.report.targets``); ``None``: ``targets.toml`` in the raw folder if there.
    :param missing_match_hours: missing episodes of the same child reported by different sources
        (case management, SSDA903, police) whose starts are at most this many hours apart are one
        episode (``docs/missing_matching.md``).
    :param date_floor: a date on or before it is not a real date: an error in every date column,
        and never used to choose the default period.
    """

    la_code: int = DEFAULT_LA
    db: Path = Path("data/processed/scorecard.duckdb")
    raw_dir: Path = Path("data/raw")
    out_dir: Path = Path("reports")
    suppress_below: int = 5
    sn_grouping: str | None = None
    mappings: tuple[Path, ...] = field(default_factory=tuple)
    key_file: Path = Path.home() / ".scorecard" / "pseudonym.key"
    targets: Path | None = None
    missing_match_hours: float = DEFAULT_MISSING_MATCH_HOURS
    date_floor: date = date(1900, 1, 1)
    revision_threshold: float = DEFAULT_REVISION_THRESHOLD

    def __post_init__(self) -> None:
        t = self.revision_threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t <= 1000:
            raise ConfigError(f"the revision threshold must be 0 to 1000 per cent, not {t!r}")
        hours = self.missing_match_hours
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours <= 168:
            raise ConfigError(f"the missing-episode matching tolerance must be 0 to 168 hours, not {hours!r}")

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings(**overrides) -> Settings:
    """Settings from ``SCORECARD_*`` environment variables, then explicit overrides."""
    env: dict = {}
    if v := os.environ.get("SCORECARD_LA"):
        try:
            env["la_code"] = int(v)
        except ValueError:
            raise ConfigError(f"SCORECARD_LA={v!r} is not a DfE LA code (e.g. 370)") from None
    if v := os.environ.get("SCORECARD_DB"):
        env["db"] = Path(v)
    if v := os.environ.get(KEY_FILE_ENV):
        env["key_file"] = Path(v)
    if v := os.environ.get("SCORECARD_TARGETS"):
        env["targets"] = Path(v)
    if v := os.environ.get("SCORECARD_MISSING_MATCH_HOURS"):
        try:
            env["missing_match_hours"] = float(v)
        except ValueError:
            raise ConfigError(f"SCORECARD_MISSING_MATCH_HOURS={v!r} is not a number of hours") from None
    return Settings().with_(**env).with_(**overrides)


def pseudonym_key(key_file: Path) -> bytes:
    """The pseudonymisation key: ``$SCORECARD_PSEUDONYM_KEY`` if set, else the key file,
    created on first use with owner-only permissions (never in the repo or the database)."""
    if v := os.environ.get(KEY_ENV):
        if len(v) < 16:
            raise ConfigError(f"{KEY_ENV} must be at least 16 characters")
        return v.encode()
    key_file = Path(key_file).expanduser()
    try:
        if key_file.exists():
            key = key_file.read_text().strip()
            if len(key) < 16:
                raise ConfigError(f"pseudonymisation key in {key_file} is too short")
            return key.encode()
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(32)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key.encode()
    except FileExistsError:  # another process created it between our check and open
        return pseudonym_key(key_file)
    except OSError as exc:
        raise ConfigError(f"cannot read or create the pseudonymisation key {key_file}: {exc.strerror}") from None
