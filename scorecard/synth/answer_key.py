"""The answer key of a synthetic extract: what the generator broke on purpose, one entry per
touched record or file cell, saved beside the data so tests and the demo can check that
validation finds exactly those (:mod:`.artefacts` fills it)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AnswerKey", "ENTRY_FIELDS"]

ENTRY_FIELDS = ("artefact", "table", "record_id", "column", "period", "file", "row", "detail")


@dataclass
class AnswerKey:
    """What the generator broke on purpose: one entry per touched record (or file cell).

    ``entries`` are dicts with :data:`ENTRY_FIELDS` ("" where not applicable; ``row`` is the
    row a person sees in the written file, header = row 1).
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, artefact: str, table: str = "", record_id: str = "", column: str = "",
            period: str = "", file: str = "", row: int | str = "", detail: str = "") -> None:
        """Record one touched record or cell."""
        self.entries.append(dict(artefact=artefact, table=table, record_id=record_id,
                                 column=column, period=period, file=file, row=row, detail=detail))

    def records(self, artefact: str) -> set[tuple[str, str]]:
        """``{(table, record_id)}`` touched by ``artefact`` (summary entries excluded)."""
        return {(e["table"], e["record_id"]) for e in self.entries
                if e["artefact"] == artefact and e["record_id"]}

    def for_artefact(self, artefact: str) -> list[dict[str, Any]]:
        """All entries of one artefact, in the order they were recorded."""
        return [e for e in self.entries if e["artefact"] == artefact]

    @property
    def artefacts(self) -> list[str]:
        """Artefacts with at least one entry, in registry order."""
        from .artefacts import ARTEFACTS

        present = {e["artefact"] for e in self.entries}
        return [a for a in ARTEFACTS if a in present]

    def save(self, path: str | Path) -> Path:
        """Write the key as JSON (deterministic: same inputs, same bytes)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"meta": self.meta, "entries": self.entries}, indent=1,
                                   sort_keys=True, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> AnswerKey:
        """Read a key written by :meth:`save` (ValueError if it is not one)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            entries = [{f: e[f] for f in ENTRY_FIELDS} for e in data["entries"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not an answer key ({exc})") from None
        return cls(entries, dict(data.get("meta", {})))
