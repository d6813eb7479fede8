-- cin_episodes_at_31_march: one row per child in need episode and 31 March at which it was
-- open, with the DfE band of how long it had lasted by then.
--
-- Grain: cin_episode_id x census_date (each 31 March from the year of the first referral, 1950
--   at the earliest, to the year after the last date before 2100 in cin_episodes).
-- Episodes are those of the cin_episodes mart (referrals with no further action left out, as the
--   DfE does). Open at 31 March: cin_start_date <= census_date and (cin_closure_date blank or
--   cin_closure_date > census_date), as cin_at_31_march.
-- duration_band: sc_cin_duration_band(cin_start_date, census_date), the DfE table B4 bands
--   (LAIT CINTime*): from the referral date to 31 March.

with

source as (

    select * from {{ ref('cin_episodes') }}

),

years as (

    -- a placeholder date (1900-01-01, 9999-12-31) stretches no calendar: years from 1950 to
    -- the year after the last date before 2100
    select
        greatest(cast(min(year(cin_start_date)) as integer), 1950) as first_year,
        cast(max(year(greatest(
            case when year(cin_start_date) < 2100 then cin_start_date end,
            case when year(cin_closure_date) < 2100 then cin_closure_date end))) as integer) + 1
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
        source.cin_episode_id,
        source.child_id,
        source.cin_start_date,
        source.cin_closure_date,
        census_dates.census_date,
        sc_cin_duration_band(source.cin_start_date, census_dates.census_date)
            as duration_band
    from source
    inner join census_dates
        on source.cin_start_date <= census_dates.census_date
        and coalesce(source.cin_closure_date, date '9999-12-31') > census_dates.census_date

)

select * from final
