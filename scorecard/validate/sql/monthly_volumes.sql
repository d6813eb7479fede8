-- Records per calendar month for one table, with the median of up to two months either side.
-- ratio = records / neighbour median (null where the neighbours hold fewer than 10 records,
-- so small counts are not judged). Only whole months from the first to the last before the
-- extract month. Placeholders (schema identifiers only): {table}, {date}. Parameter: $extract_date.
with counts as (
    select date_trunc('month', {date})::date as month_start, count(*) as records
    from staging.{table}
    where {date} is not null
        and {date} >= date '1990-01-01'
        and {date} < date_trunc('month', $extract_date::date)
    group by all
),

bounds as (
    select min(month_start) as first_month, max(month_start) as last_month from counts
),

months as (
    select cast(m as date) as month_start
    from bounds, range(first_month, last_month + interval 1 month, interval 1 month) as r(m)
),

filled as (
    select mo.month_start, coalesce(c.records, 0) as records
    from months as mo left join counts as c using (month_start)
),

with_neighbours as (
    select
        a.month_start,
        a.records,
        median(b.records) as neighbour_median
    from filled as a
    join filled as b
        on b.month_start between a.month_start - interval 2 month and a.month_start + interval 2 month
        and b.month_start <> a.month_start
    group by all
)

select
    '{table}' as table_name,
    strftime(month_start, '%Y-%m') as period,
    records,
    neighbour_median,
    case when neighbour_median >= 10 then records / neighbour_median end as ratio
from with_neighbours
