-- The same child, dates and content under two ids (or two source systems): every record
-- after the first of a group of identical records is flagged. The first is the one from
-- the system that started earliest (then the smallest id), so the newer system's copy is named.
-- Only groups of more than one record are ranked (most records have no copy, and ranking
-- every record was most of this check's cost), and only records sharing a content hash are
-- grouped by their columns.
-- Placeholders (schema identifiers only): {table}, {id}, {content} (comma-separated columns),
-- {same} (each content column of t is not distinct from that of r).
with systems as (
    select source_system, min({date}) as first_date
    from staging.{table}
    where legacy_id is null
    group by source_system
),

-- a content hash shared by two records or more: every repeated content has one, and grouping
-- by one number is cheaper than by every column (a shared hash alone proves nothing: the
-- groups are then made of the columns themselves)
shared_hash as (
    select hash({content}) as h
    from staging.{table} as t
    group by h
    having count(*) > 1
),

repeated as (
    select {content}
    from staging.{table} as t
    where hash({content}) in (select h from shared_hash)
    group by {content}
    having count(*) > 1
),

ranked as (
    select
        t.{id} as record_id,
        t.source_system,
        first_value(t.{id}) over w as kept_id,
        row_number() over w as copy_number
    from staging.{table} as t
    join repeated as r
        on {same}
    left join systems as s
        on s.source_system is not distinct from t.source_system
    window w as (
        partition by {content}
        order by s.first_date nulls last, t.source_system nulls last, t.{id}
    )
)

select
    record_id,
    'same child, dates and content as ' || kept_id
        || coalesce(' (this copy from ' || source_system || ')', '') as detail
from ranked
where copy_number > 1
    and record_id is distinct from kept_id
