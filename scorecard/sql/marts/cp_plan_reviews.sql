-- cp_plan_reviews: one row per child protection plan open at a 31 March that had by then
-- lasted at least 3 months, with whether its reviews were held within the timescales.
--
-- Grain: cp_plan_id x census_date (rows of cp_plans_at_31_march with is_3_months_plus).
-- Timescales (Working Together; DfE table D6, LAIT RevCP): the first review within 3 months of
--   the plan's start (the initial conference), then each review within 6 months of the one
--   before. A review belongs to the plan by cp_plan_id (or, where the review has none, by
--   child_id) and counts when it is dated after the plan's start and on or before census_date.
-- is_reviewed_on_time: at least one review; the first on or before start + 3 months; every
--   later one on or before the previous + 6 months; and census_date on or before the last
--   review + 6 months (no review overdue at 31 March).
-- review_count: the reviews counted.

with

plans as (

    select * from {{ ref('cp_plans_at_31_march') }}
    where is_3_months_plus

),

source as (

    select * from {{ source('cp_reviews') }}

),

reviews as (

    -- one row per review date of a plan (a date given twice is one review)
    select distinct cp_plan_id, child_id, cp_review_date
    from source
    where cp_review_date is not null

),

plan_reviews as (

    -- each plan's reviews: by plan id, or by child where the review names no plan (two
    -- equi-joins, not one join on an "or", which would compare every plan with every review)
    select plans.cp_plan_id, plans.child_id, plans.cp_plan_start_date, plans.census_date,
           reviews.cp_review_date
    from plans
    inner join reviews on reviews.cp_plan_id = plans.cp_plan_id
    union all
    select plans.cp_plan_id, plans.child_id, plans.cp_plan_start_date, plans.census_date,
           reviews.cp_review_date
    from plans
    inner join reviews on reviews.child_id = plans.child_id
    where reviews.cp_plan_id is null

),

linked as (

    -- each plan's reviews up to census_date, with the date each had to be held by
    select
        cp_plan_id,
        census_date,
        cp_review_date,
        coalesce(
            lag(cp_review_date) over (
                partition by cp_plan_id, census_date order by cp_review_date)
                + interval 6 month,
            cp_plan_start_date + interval 3 month) as due_by
    from plan_reviews
    where cp_review_date > cp_plan_start_date
        and cp_review_date <= census_date

),

per_plan as (

    select
        cp_plan_id,
        census_date,
        count(*) as review_count,
        bool_and(cp_review_date <= due_by) as all_in_time,
        max(cp_review_date) as last_review_date
    from linked
    group by cp_plan_id, census_date

),

final as (

    select
        plans.cp_plan_id,
        plans.child_id,
        plans.census_date,
        coalesce(per_plan.review_count, 0) as review_count,
        coalesce(per_plan.all_in_time
                 and plans.census_date <= per_plan.last_review_date + interval 6 month,
                 false) as is_reviewed_on_time
    from plans
    left join per_plan
        on per_plan.cp_plan_id = plans.cp_plan_id
        and per_plan.census_date = plans.census_date

)

select * from final
