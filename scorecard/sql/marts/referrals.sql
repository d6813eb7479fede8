-- referrals: one row per referral, with its source group and whether it is a re-referral
-- within 12 months.
--
-- Grain: referral_id (for an id repeated inside one file, its last row).
-- source_group: the DfE referral source code grouped as the scorecard reports it; a blank or
--   unrecognised code is 'Other'.
-- is_rereferral_12m: the same child has another referral dated on or after
--   referral_date - 1 year and strictly before referral_date (so two referrals on the same day
--   are not re-referrals of each other). "- 1 year" is DuckDB interval arithmetic: it keeps the
--   day of the month, except that 29 February minus one year is 28 February.
--   previous_referral_date is the latest earlier date among the child's referrals, so testing
--   it alone is enough.

with

source as not materialized (

    select * from {{ source('referrals') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select referral_id, max(source_row) as last_row
    from source
    group by referral_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.referral_id = source.referral_id
        and source.source_row < repeated.last_row

),

child_dates as (

    select
        child_id,
        referral_date,
        lag(referral_date) over (partition by child_id order by referral_date)
            as previous_referral_date
    from (select distinct child_id, referral_date from latest where referral_date is not null)

),

final as (

    select
        latest.referral_id,
        latest.child_id,
        latest.referral_date,
        latest.referral_source,
        case
            when latest.referral_source = '6' then 'Police'
            when latest.referral_source in ('2A', '2B') then 'Schools/Education'
            when latest.referral_source in ('3A', '3B', '3C', '3D', '3E', '3F') then 'Health'
            when latest.referral_source in ('5A', '5B', '5C', '5D') then 'Local Authority'
            when latest.referral_source in ('1A', '1B', '1C', '1D') then 'Family/Friend'
            when latest.referral_source = '7' then 'Legal Agency'
            else 'Other'
        end as source_group,
        coalesce(latest.referral_nfa, false) as is_nfa,
        child_dates.previous_referral_date,
        date_diff('day', child_dates.previous_referral_date, latest.referral_date)
            as days_since_previous_referral,
        coalesce(
            child_dates.previous_referral_date >= latest.referral_date - interval 1 year, false
        ) as is_rereferral_12m
    from latest
    left join child_dates
        on child_dates.child_id = latest.child_id
        and child_dates.referral_date = latest.referral_date

)

select * from final
