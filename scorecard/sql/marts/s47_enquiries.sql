-- s47_enquiries: one row per section 47 enquiry, with its initial child protection
-- conference (ICPC) and the working days from the strategy discussion to that conference.
--
-- Grain: s47_id (for an id repeated inside one file, its last row).
-- s47_start_date: the strategy discussion that started the enquiry (DfE S47ActualStartDate).
-- has_icpc: an ICPC date is recorded (the enquiry led to a conference).
-- working_days_to_icpc: working days (weekends and England and Wales bank holidays excluded)
--   after s47_start_date up to and including icpc_date; the start day is day 0 (as for
--   assessments). Null when either date is blank, the ICPC is before the start, or a date lies
--   outside calendar_days.
-- is_icpc_within_15wd: working_days_to_icpc <= 15 (null working days count as not within).
-- record-local: s47_enquiries.s47_id
--   (leaving records of staging s47_enquiries out leaves out exactly the rows of their ids and
--   changes no other row: the validation impact relies on it; tests/test_delta.py checks it)

with

source as not materialized (

    select * from {{ source('s47_enquiries') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select s47_id, max(source_row) as last_row
    from source
    group by s47_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.s47_id = source.s47_id
        and source.source_row < repeated.last_row

),

calendar as (

    select calendar_date, working_day_number
    from {{ ref('calendar_days') }}

),

final as (

    select
        latest.s47_id,
        latest.child_id,
        latest.cin_episode_id,
        latest.s47_start_date,
        latest.icpc_date,
        latest.icpc_date is not null as has_icpc,
        case
            when latest.icpc_date >= latest.s47_start_date
                then held.working_day_number - started.working_day_number
        end as working_days_to_icpc,
        coalesce(working_days_to_icpc <= 15, false) as is_icpc_within_15wd
    from latest
    left join calendar as started on started.calendar_date = latest.s47_start_date
    left join calendar as held on held.calendar_date = latest.icpc_date

)

select * from final
