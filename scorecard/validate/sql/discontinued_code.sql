-- A code used by the old system but (all but) abandoned after the cut-over, still recorded
-- on a record dated after it: the record probably kept a mapping that no longer applies.
-- "Abandoned": its share after the cut-over is under a tenth of its share before, and fewer
-- than 2% of the records after. Placeholders (schema identifiers only): {table}, {id},
-- {date}, {column}. Parameter: $cutover.
with shares as (
    select
        {column} as code,
        count(*) filter (where {date} < $cutover) as n_before,
        count(*) filter (where {date} >= $cutover) as n_after
    from staging.{table}
    where {column} is not null and {date} is not null
    group by all
),

totals as (
    select sum(n_before) as total_before, sum(n_after) as total_after from shares
),

abandoned as (
    select s.code
    from shares as s, totals as t
    where t.total_before > 0 and t.total_after > 0
        and s.n_before >= 5
        and s.n_after > 0
        and s.n_after / t.total_after < 0.1 * (s.n_before / t.total_before)
        and s.n_after / t.total_after < 0.02
)

select
    x.{id} as record_id,
    '{column} ' || x.{column} || ' recorded after the cut-over; the code was in use before it but not since' as detail
from staging.{table} as x
join abandoned as a on a.code = x.{column}
where x.{date} >= $cutover
