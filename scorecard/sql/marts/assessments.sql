-- assessments: one row per assessment, with the working days from start to authorisation.
--
-- Grain: assessment_id (for an id repeated inside one file, its last row).
-- working_days_to_authorised: working days (weekends and England and Wales bank holidays
--   excluded) after assessment_start_date up to and including assessment_authorised_date; the
--   start day is day 0, so an assessment authorised on the day it starts took 0 working days.
--   Null when either date is blank, when authorised is before the start, or when a date lies
--   outside calendar_days (placeholder years).
-- is_within_45wd: working_days_to_authorised <= 45 (null working days count as not within).
-- record-local: assessments.assessment_id
--   (leaving records of staging assessments out leaves out exactly the rows of their ids and
--   changes no other row: the validation impact relies on it; tests/test_delta.py checks it)

with

source as not materialized (

    select * from {{ source('assessments') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select assessment_id, max(source_row) as last_row
    from source
    group by assessment_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.assessment_id = source.assessment_id
        and source.source_row < repeated.last_row

),

calendar as (

    select calendar_date, working_day_number
    from {{ ref('calendar_days') }}

),

final as (

    select
        latest.assessment_id,
        latest.child_id,
        latest.referral_id,
        latest.assessment_start_date,
        latest.assessment_authorised_date,
        case
            when latest.assessment_authorised_date >= latest.assessment_start_date
                then authorised.working_day_number - started.working_day_number
        end as working_days_to_authorised,
        coalesce(working_days_to_authorised <= 45, false) as is_within_45wd
    from latest
    left join calendar as started on started.calendar_date = latest.assessment_start_date
    left join calendar as authorised
        on authorised.calendar_date = latest.assessment_authorised_date

)

select * from final
