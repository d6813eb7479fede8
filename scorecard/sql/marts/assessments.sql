-- assessments: one row per assessment, with the working days from start to authorisation.
--
-- Grain: assessment_id (the latest version of a repeated id: highest load_id, then source_row).
-- working_days_to_authorised: working days (weekends and England and Wales bank holidays
--   excluded) after assessment_start_date up to and including assessment_authorised_date; the
--   start day is day 0, so an assessment authorised on the day it starts took 0 working days.
--   Null when either date is blank, when authorised is before the start, or when a date lies
--   outside calendar_days (placeholder years).
-- is_within_45wd: working_days_to_authorised <= 45 (null working days count as not within).

with

source as (

    select *
    from {{ source('assessments') }}
    qualify row_number() over (
        partition by assessment_id order by load_id desc nulls last, source_row desc nulls last
    ) = 1

),

calendar as (

    select calendar_date, working_day_number
    from {{ ref('calendar_days') }}

),

final as (

    select
        source.assessment_id,
        source.child_id,
        source.referral_id,
        source.assessment_start_date,
        source.assessment_authorised_date,
        case
            when source.assessment_authorised_date >= source.assessment_start_date
                then authorised.working_day_number - started.working_day_number
        end as working_days_to_authorised,
        coalesce(working_days_to_authorised <= 45, false) as is_within_45wd
    from source
    left join calendar as started on started.calendar_date = source.assessment_start_date
    left join calendar as authorised
        on authorised.calendar_date = source.assessment_authorised_date

)

select * from final
