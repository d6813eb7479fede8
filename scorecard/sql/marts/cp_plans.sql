-- cp_plans: one row per child protection plan, with its length, its latest category and
-- whether it is the child's second or subsequent plan.
--
-- Grain: cp_plan_id (for an id repeated inside one file, its last row).
-- category_latest: latest_category, or initial_category where latest is blank.
-- duration_days: cp_plan_end_date - cp_plan_start_date in days (null while open).
-- is_2yrs_plus: duration_days >= 730 (a plan of exactly 730 days counts).
-- duration_band: the DfE band of the plan's length, start to end (sc_cpp_duration_band; null
--   while open), the breakdown of cpp_ended_by_duration.
-- is_second_or_subsequent: the child has another plan with an earlier start date, at any
--   time (two plans starting the same day are not subsequent to each other).

with

source as not materialized (

    select * from {{ source('cp_plans') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select cp_plan_id, max(source_row) as last_row
    from source
    group by cp_plan_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.cp_plan_id = source.cp_plan_id
        and source.source_row < repeated.last_row

),

child_first as (

    select child_id, min(cp_plan_start_date) as first_plan_start_date
    from latest
    group by child_id

),

final as (

    select
        latest.cp_plan_id,
        latest.child_id,
        latest.cp_plan_start_date,
        latest.cp_plan_end_date,
        latest.initial_category,
        latest.latest_category,
        coalesce(latest.latest_category, latest.initial_category, 'Unknown') as category_latest,
        date_diff('day', latest.cp_plan_start_date, latest.cp_plan_end_date) as duration_days,
        coalesce(duration_days >= 730, false) as is_2yrs_plus,
        sc_cpp_duration_band(latest.cp_plan_start_date, latest.cp_plan_end_date)
            as duration_band,
        coalesce(child_first.first_plan_start_date < latest.cp_plan_start_date, false)
            as is_second_or_subsequent
    from latest
    left join child_first on child_first.child_id = latest.child_id

)

select * from final
