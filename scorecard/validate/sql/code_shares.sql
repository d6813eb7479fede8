-- Each code's share of one coded column (among records where it is recorded) in the six
-- months before and after the cut-over,
-- with a two-proportion z statistic (null where the shares differ by under 5 points or
-- either side holds under 30 records). Placeholders (schema identifiers only): {table},
-- {date}, {column}. Parameter: $cutover.
with windowed as (
    select {column} as code, {date} < $cutover as before
    from staging.{table}
    where {column} is not null
        and {date} >= $cutover - interval 6 month
        and {date} < $cutover + interval 6 month
),

totals as (
    select count(*) filter (where before) as n1, count(*) filter (where not before) as n2
    from windowed
),

codes as (
    select
        code,
        count(*) filter (where before) as k1,
        count(*) filter (where not before) as k2
    from windowed
    group by all
),

shares as (
    select
        c.code, t.n1, t.n2, c.k1, c.k2,
        c.k1 / nullif(t.n1, 0) as p1,
        c.k2 / nullif(t.n2, 0) as p2,
        (c.k1 + c.k2) / nullif(t.n1 + t.n2, 0) as pooled
    from codes as c, totals as t
)

select
    '{table}' as table_name,
    '{column}' as column_name,
    code,
    strftime($cutover, '%Y-%m') as period,
    100 * p1 as share_before_pct,
    100 * p2 as share_after_pct,
    case
        when n1 >= 30 and n2 >= 30 and abs(p2 - p1) >= 0.05 and pooled > 0 and pooled < 1
        then (p2 - p1) / sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    end as z
from shares
