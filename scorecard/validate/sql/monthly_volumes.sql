-- Records per calendar month for one table. neighbour_level is the lower of the mean of the
-- two months before and the mean of the two months after (so a ramp-up at the start of the
-- data is not a gap); ratio = records / neighbour_level (null where that level is under 10
-- records, so small counts are not judged). Only months with two months of data on each side are
-- judged (the first and last months of an extract are often part-filled), and only months
-- before the extract month. Placeholders (schema identifiers only): {table}, {date}. Parameter: $extract_date.
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
        least(
            avg(b.records) filter (where b.month_start < a.month_start),
            avg(b.records) filter (where b.month_start > a.month_start)
        ) as neighbour_level
    from filled as a
    join filled as b
        on b.month_start between a.month_start - interval 2 month and a.month_start + interval 2 month
        and b.month_start <> a.month_start
    cross join bounds
    where a.month_start >= bounds.first_month + interval 2 month
        and a.month_start <= bounds.last_month - interval 2 month
    group by all
)

select
    '{table}' as table_name,
    strftime(month_start, '%Y-%m') as period,
    records,
    neighbour_level,
    case when neighbour_level >= 10 then records / neighbour_level end as ratio
from with_neighbours
