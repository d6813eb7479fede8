-- A record whose legacy_id names a record still present in the same extract: the same
-- record migrated twice. The copy (the one carrying legacy_id) is flagged.
-- Placeholders (schema identifiers only): {table}, {id}.
select
    c.{id} as record_id,
    'legacy_id ' || c.legacy_id || ' is also present as its own record'
        || coalesce(' (' || o.source_system || ')', '') as detail
from staging.{table} as c
join staging.{table} as o
    on o.{id} = c.legacy_id
where c.legacy_id is not null
    and c.{id} is distinct from c.legacy_id
