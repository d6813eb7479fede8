"""The SSD v1.4.5 specification as data: internally consistent."""
from __future__ import annotations

from scorecard.formats import ssd_spec


def test_version_and_tables():
    assert ssd_spec.SSD_VERSION == "1.4.5"
    for name, table in ssd_spec.SSD_TABLES.items():
        assert name == table.name and name.startswith("ssd_")
        assert len(set(table.columns)) == len(table.columns), name
        assert set(table.needs) <= set(table.columns), name
        assert set(table.dropped) <= set(table.columns), name
        assert all(c.startswith(table.prefix + "_") for c in table.columns), name
    prefixes = [t.prefix for t in ssd_spec.SSD_TABLES.values()]
    assert len(prefixes) == len(set(prefixes))


def test_renames_point_at_v145_columns_and_known_tables_do_not_overlap():
    every = {c for t in ssd_spec.SSD_TABLES.values() for c in t.columns}
    assert set(ssd_spec.RENAMES.values()) - {"pers_single_unique_id", "pers_send_flag"} <= every
    assert not set(ssd_spec.RENAMES) & every
    assert not ssd_spec.KNOWN_UNUSED & set(ssd_spec.SSD_TABLES)
    for companion, users in ssd_spec.COMPANION_OF.items():
        assert companion in ssd_spec.SSD_TABLES and set(users) <= set(ssd_spec.SSD_TABLES)
