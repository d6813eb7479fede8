"""The demo: synthetic Barnsley-like extracts, then a full build on them."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from .build import BuildResult, build
from .config import settings as make_settings
from .processes import keep_helpers

__all__ = ["run_demo", "DEMO_ARTEFACTS", "DEMO_TARGETS", "DEMO_MONTHS", "DEMO_START_YEAR", "DEMO_YEARS"]

#: the demo builds these two months from monthly drops before the year, so the year's page has a
#: "changed since the last build" panel (a late and a corrected referral in each later drop)
DEMO_MONTHS = ("2023-01", "2023-02")

#: the demo's window: five financial years (2018-19 to 2022-23, plus the look-back year), so
#: the trends against the benchmarks have five years to show
DEMO_START_YEAR, DEMO_YEARS = 2018, 5

#: migration artefacts the demo shows, so the validation panel has something to say
DEMO_ARTEFACTS = ("cutover_gap", "duplicate_migration", "rhi_completed_not_accepted")

#: illustrative local targets (``targets.toml`` in the demo's raw folder), so the page shows
#: the partnership's own RAG beside the DfE-based one
DEMO_TARGETS = """\
# Illustrative partnership targets for the demo (scorecard.report.targets describes the format).
[contacts_concluded_24h_pct]
target = 75
tolerance = 5
note = "JTAI action plan, recommendation 2: contacts concluded within 24 hours"

[rereferrals_12m_pct]
target = 20
tolerance = 2

[assessments_within_45wd_pct]
target = 85
tolerance = 5

[rhi_completed_72h_pct]
target = 80
tolerance = 5
note = "Return home interviews within the statutory 72 hours"
"""


def run_demo(*, raw_dir: Path = Path("data/raw/demo"), out_dir: Path = Path("reports/demo"),
             db: Path = Path("data/processed/demo.duckdb"), seed: int = 1, scale: float = 1.0,
             artefacts: tuple[str, ...] = DEMO_ARTEFACTS,
             progress: Callable[[str], None] | None = None) -> BuildResult:
    """Generate five financial years of synthetic extracts (2018-19 to 2022-23, so the trends
    have five years to show) as monthly drops (into ``<raw_dir>_drops``, replacing any earlier demo
    data: everything before April 2022 in one base file per extract, then a drop a month), rebuild
    ``db`` from scratch, and build as a partnership would month by month: January 2023 with the
    drops that had arrived by then (reports in ``<out_dir>-2023-01``), February 2023
    (``<out_dir>-2023-02``: a late and a corrected referral revise January), then the year 2022-23
    with every drop into ``out_dir``. ``raw_dir`` ends holding every drop and illustrative local
    targets (``targets.toml``). The answer key of the injected artefacts is saved beside the
    database, not in ``raw_dir``. Returns the year's build."""
    from .synth import generate
    from .synth.drops import write_drops

    say = progress or (lambda m: None)
    raw_dir, out_dir, db = Path(raw_dir), Path(out_dir), Path(db)
    drops_dir = raw_dir.parent / f"{raw_dir.name}_drops"
    say(f"demo: generating synthetic extracts as monthly drops in {drops_dir}")
    for folder in (raw_dir, drops_dir):
        if folder.exists():
            shutil.rmtree(folder)
    result = generate(None, seed=seed, scale=scale, artefacts=artefacts,
                      start_year=DEMO_START_YEAR, years=DEMO_YEARS)
    drops = write_drops(result.tables, drops_dir, first="2022-04", last="2023-03")
    result.answer_key.save(db.parent / "demo_answer_key.json")
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    outs = [out_dir.parent / f"{out_dir.name}-{m}" for m in DEMO_MONTHS] + [out_dir]
    for folder in outs:
        if folder.exists():
            shutil.rmtree(folder)
    s = make_settings(raw_dir=raw_dir, db=db)
    # the three builds share their helper processes (Great Expectations and matplotlib imported once)
    with keep_helpers():
        for month, out in zip(DEMO_MONTHS, outs):
            drops.stage(raw_dir, month)
            (raw_dir / "targets.toml").write_text(DEMO_TARGETS, encoding="utf-8")
            say(f"demo: building {month} with the drops that had arrived by then")
            build(s.with_(out_dir=out), period=month, progress=progress)
        drops.stage(raw_dir, drops.months[-1])
        say("demo: building the year 2022-23 with every drop")
        return build(s.with_(out_dir=out_dir), progress=progress)
