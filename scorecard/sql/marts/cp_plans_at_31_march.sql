-- cp_plans_at_31_march: one row per child protection plan and 31 March at which it was open,
-- with the DfE band of how long it had lasted by then.
--
-- Grain: cp_plan_id x census_date (each 31 March from the year of the first plan start, 1950 at
--   the earliest, to the year after the last date before 2100 in cp_plans).
-- Open at 31 March: cp_plan_start_date <= census_date and (cp_plan_end_date blank or
--   cp_plan_end_date > census_date), as cpp_at_31_march.
-- duration_band: sc_cpp_duration_band(cp_plan_start_date, census_date), the DfE table D5 bands.
-- is_3_months_plus: on the plan for at least 3 months at census_date (start on or before
--   census_date - 3 months): the source whose reviews are judged (cp_plan_reviews).

with

source as (

    select * from {{ ref('cp_plans') }}

),

years as (

    -- a placeholder date (1900-01-01, 9999-12-31) stretches no calendar: years from 1950 to
    -- the year after the last date before 2100
    select
        greatest(cast(min(year(cp_plan_start_date)) as integer), 1950) as first_year,
        cast(max(year(greatest(
            case when year(cp_plan_start_date) < 2100 then cp_plan_start_date end,
            case when year(cp_plan_end_date) < 2100 then cp_plan_end_date end))) as integer) + 1
            as last_year
    from source

),

census_dates as (

    select make_date(cast(y.year as integer), 3, 31) as census_date
    from years
    cross join generate_series(years.first_year, years.last_year) as y(year)

),

final as (

    select
        source.cp_plan_id,
        source.child_id,
        source.cp_plan_start_date,
        source.cp_plan_end_date,
        census_dates.census_date,
        sc_cpp_duration_band(source.cp_plan_start_date, census_dates.census_date)
            as duration_band,
        source.cp_plan_start_date <= census_dates.census_date - interval 3 month
            as is_3_months_plus
    from source
    inner join census_dates
        on source.cp_plan_start_date <= census_dates.census_date
        and coalesce(source.cp_plan_end_date, date '9999-12-31') > census_dates.census_date

)

select * from final
