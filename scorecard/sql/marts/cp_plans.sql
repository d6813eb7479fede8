-- cp_plans: one row per child protection plan, with its length, its latest category and
-- whether it is the child's second or subsequent plan.
--
-- Grain: cp_plan_id (the latest version of a repeated id: highest load_id, then source_row).
-- category_latest: latest_category, or initial_category where latest is blank.
-- duration_days: cp_plan_end_date - cp_plan_start_date in days (null while open).
-- is_2yrs_plus: duration_days >= 730 (a plan of exactly 730 days counts).
-- is_second_or_subsequent: the child has another plan with an earlier start date, at any
--   time (two plans starting the same day are not subsequent to each other).

with

source as (

    select *
    from {{ source('cp_plans') }}
    qualify row_number() over (
        partition by cp_plan_id order by load_id desc nulls last, source_row desc nulls last
    ) = 1

),

child_first as (

    select child_id, min(cp_plan_start_date) as first_plan_start_date
    from source
    group by child_id

),

final as (

    select
        source.cp_plan_id,
        source.child_id,
        source.cp_plan_start_date,
        source.cp_plan_end_date,
        source.initial_category,
        source.latest_category,
        coalesce(source.latest_category, source.initial_category, 'Unknown') as category_latest,
        date_diff('day', source.cp_plan_start_date, source.cp_plan_end_date) as duration_days,
        coalesce(duration_days >= 730, false) as is_2yrs_plus,
        coalesce(child_first.first_plan_start_date < source.cp_plan_start_date, false)
            as is_second_or_subsequent
    from source
    left join child_first on child_first.child_id = source.child_id

)

select * from final
