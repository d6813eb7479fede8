"""Tests for scorecard.validate.lineage_sql: columns followed through SQL with sqlglot (the
shipped marts' lineage against an answer key is in test_lineage.py)."""
from __future__ import annotations

from scorecard.schema import TABLES
from scorecard.validate.lineage_sql import (RECORD, STG, Everything, Resolver, conservative, qualified,
                                            staging_schema)


def test_resolver_follows_outer_joins_and_filters():
    # a model written for the test: an inner join and a filter decide rows, a left join
    # adds values resting on its own join columns
    from sqlglot.optimizer.scope import build_scope

    schema = {"stg__a": {"id": "VARCHAR", "x": "VARCHAR", "k": "VARCHAR", "f": "VARCHAR"},
              "stg__b": {"id": "VARCHAR", "y": "VARCHAR", "k": "VARCHAR"}}
    sql = ("with l as (select id, k, max(y) as y from stg__b group by id, k) "
           "select a.id, a.x, l.y from stg__a as a left join l on l.k = a.k where a.f = 'Y'")
    tree = qualified(sql, schema)
    r = Resolver({})
    root = build_scope(tree)
    assert r.rows(root) == {("a", RECORD), ("a", "f")}
    assert r.select(root, "x") == {("a", "x")}
    assert r.select(root, "y") >= {("b", "y"), ("b", "k"), ("a", "k"), ("b", RECORD), ("b", "id")}


def test_a_conservative_lineage_rests_every_column_on_everything_the_mart_reads():
    lin = conservative("contacts")
    assert isinstance(lin.columns, Everything)
    assert lin.inputs("any column at all") == lin.rows
    assert ("contacts", RECORD) in lin.rows and ("contacts", "contact_outcome") in lin.rows
    assert {t for t, _ in lin.rows} == {"contacts"}


def test_staging_is_parsed_with_its_provenance_columns():
    schema = staging_schema()
    assert set(schema) == {STG + t for t in TABLES}
    assert {"load_id", "source_file", "source_row", "contact_id"} <= set(schema[STG + "contacts"])
