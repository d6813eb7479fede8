-- missing_child_years: one row per child and financial year in which the child had a missing
-- episode start, with how many started.
--
-- Grain: child_id x financial year (year_start_date is 1 April of the year, which puts the row
-- in that year's period). is_repeat: 3 or more episodes started in the year.

with

source as (

    select child_id, missing_start_date
    from {{ ref('missing_episodes') }}
    where missing_start_date is not null

),

years as (

    select
        child_id,
        make_date(
            year(missing_start_date) - case when month(missing_start_date) < 4 then 1 else 0 end,
            4,
            1
        ) as year_start_date
    from source

),

final as (

    select
        child_id,
        year_start_date,
        count(*) as episodes_started,
        count(*) >= 3 as is_repeat
    from years
    group by child_id, year_start_date

)

select * from final
