"""Writing charts: each described chart (:class:`.chart_spec.ChartSpec`) drawn
(:mod:`.chart_draw`) and saved as PNG (150 dpi) and SVG with its alt text, byte-identical on
re-run (fixed SVG hash salt, no dates or software versions in the metadata); charts drawn
before come from the chart cache (:mod:`.chart_cache`), and a helper process
(``python -m scorecard.report.chart_files``) draws half of the rest.
"""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from .chart_draw import RC, draw
from .chart_spec import ChartSpec

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .chart_cache import ChartCache

__all__ = ["PARALLEL_FROM", "save_chart", "save_all"]

#: zlib level of the PNGs: 3 makes files the size level 6 (Pillow's default) does, in half the time
_PNG_COMPRESS = 3

_SVG_OPEN = re.compile(r"(<svg\b[^>]*>)")


def save_chart(fig: "Figure", out_dir: Path, name: str, alt: str = "") -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` without dates or versions; ``alt`` goes
    into the PNG's Description and the SVG's ``<title>``/``<desc>`` (with ``role="img"``)."""
    import matplotlib

    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    with matplotlib.rc_context(RC):
        meta = {"Software": None}
        if alt:
            meta["Description"] = alt
        fig.savefig(png, dpi=150, metadata=meta, pil_kwargs={"compress_level": _PNG_COMPRESS})
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    if alt:
        title = escape(alt.split(". ", 1)[0].removeprefix("Line chart: ").removeprefix("Bar chart: "))
        text = _SVG_OPEN.sub(lambda m: m.group(1).replace("<svg ", '<svg role="img" aria-labelledby="t d" ', 1)
                             + f'\n <title id="t">{title}</title>\n <desc id="d">{escape(alt)}</desc>',
                             text, count=1)
    svg.write_bytes(text.encode("utf-8"))
    return [png, svg]


#: fewer charts than this are drawn in this process only (a helper costs a start-up)
PARALLEL_FROM = 6


def save_all(out_dir: Path, specs: Sequence[ChartSpec], *, jobs: int | None = None,
             cache: "ChartCache | None" = None) -> list[Path]:
    """Draw and save described charts (PNG and SVG, with alt text); returns the files.

    With ``cache`` (:class:`.chart_cache.ChartCache`), a chart drawn before from the same
    description by the same code is written from its stored bytes, and the charts drawn are
    stored. With ``jobs`` 2 (default: 2 when the machine has two cores or more) and at least
    :data:`PARALLEL_FROM` charts to draw, a helper process (``python -m scorecard.report.chart_files``)
    draws every other chart while this one draws the rest: drawing is most of a build's
    report time, and the files are the same bytes whichever process draws them."""
    specs = list(specs)
    files = [out_dir / f"{spec.name}.{ext}" for spec in specs for ext in ("png", "svg")]
    if cache is None:
        _draw_all(out_dir, specs, jobs)
        return files
    from .chart_cache import code_version, digest

    code = code_version()
    keys = [digest(spec, code) for spec in specs]
    stored = cache.get(keys)
    out_dir.mkdir(parents=True, exist_ok=True)
    for spec, key in zip(specs, keys):
        if key in stored:
            png, svg = stored[key]
            (out_dir / f"{spec.name}.png").write_bytes(png)
            (out_dir / f"{spec.name}.svg").write_bytes(svg)
    missing = [(spec, key) for spec, key in zip(specs, keys) if key not in stored]
    _draw_all(out_dir, [spec for spec, _ in missing], jobs)
    drawn = {key: spec for spec, key in missing}
    cache.put([(key, (out_dir / f"{spec.name}.png").read_bytes(),
                (out_dir / f"{spec.name}.svg").read_bytes()) for key, spec in drawn.items()])
    return files


def _draw_all(out_dir: Path, specs: list[ChartSpec], jobs: int | None) -> None:
    """Draw ``specs`` here, or here and in a helper process (see :func:`save_all`)."""
    import os

    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if jobs < 2 or len(specs) < PARALLEL_FROM:
        _save_serial(out_dir, specs)
        return
    import pickle
    import subprocess
    import sys
    import tempfile

    theirs, mine = specs[1::2], specs[0::2]
    with tempfile.NamedTemporaryFile(suffix=".pickle") as handover:
        pickle.dump((str(out_dir), theirs), handover)
        handover.flush()
        helper = subprocess.Popen([sys.executable, "-m", "scorecard.report.chart_files", handover.name],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _save_serial(out_dir, mine)
        except BaseException:
            helper.kill()
            helper.wait()
            raise
        _, err = helper.communicate()
    if helper.returncode != 0:
        raise RuntimeError("drawing charts failed: " + err.decode("utf-8", "replace").strip()[-500:])


def _save_serial(out_dir: Path, specs: Sequence[ChartSpec]) -> list[Path]:
    if not specs:
        return []
    from matplotlib import rc_context

    written: list[Path] = []
    with rc_context(RC):
        for spec in specs:
            written.extend(save_chart(draw(spec), out_dir, spec.name, spec.alt))
    return written


if __name__ == "__main__":   # the helper of save_all: draw the charts handed over
    import pickle
    import sys

    with open(sys.argv[1], "rb") as f:
        folder, handed = pickle.load(f)
    _save_serial(Path(folder), handed)
