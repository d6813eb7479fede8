-- cp_plan_reviews: one row per child protection plan open at a 31 March that had by then
-- lasted at least 3 months, with whether its reviews in the year to that 31 March were held
-- within the timescales.
--
-- Grain: cp_plan_id x census_date (rows of cp_plans_at_31_march with is_3_months_plus).
-- Timescales (Working Together; DfE table D6, LAIT RevCP): the first review within 3 months of
--   the plan's start (the initial conference), then each review within 6 months of the one
--   before. A review belongs to the plan by cp_plan_id (or, where the review has none, by
--   child_id) and counts when it is dated after the plan's start.
-- The year judged runs from year_start (1 April) to census_date (31 March), as the census
--   reports only that year's reviews. The first review due in it: 6 months after the plan's
--   last review before year_start where the data has one; else 3 months after the start where
--   that is on or after year_start - 3 months; else (an earlier review the data does not hold)
--   6 months after the day before year_start, the latest the earlier review can have been.
-- is_reviewed_on_time: every review of the year on or before its due date (the first's as
--   above, each later one's the previous + 6 months), and census_date on or before the next
--   due date (no review overdue at 31 March).
-- review_count: the reviews of the year counted.

with

plans as (

    select
        *,
        cast(census_date - interval 1 year + interval 1 day as date) as year_start
    from {{ ref('cp_plans_at_31_march') }}
    where is_3_months_plus

),

source as not materialized (

    select * from {{ source('cp_reviews') }}

),

reviews as (

    -- one row per review date of a plan (a date given twice is one review)
    select distinct cp_plan_id, child_id, cp_review_date
    from source
    where cp_review_date is not null

),

plan_reviews as (

    -- each plan's reviews after its start and up to census_date: by plan id, or by child
    -- where the review names no plan (two equi-joins, not one join on an "or", which would
    -- compare every plan with every review)
    select plans.cp_plan_id, plans.census_date, plans.year_start, reviews.cp_review_date
    from plans
    inner join reviews on reviews.cp_plan_id = plans.cp_plan_id
    where reviews.cp_review_date > plans.cp_plan_start_date
        and reviews.cp_review_date <= plans.census_date
    union all
    select plans.cp_plan_id, plans.census_date, plans.year_start, reviews.cp_review_date
    from plans
    inner join reviews on reviews.child_id = plans.child_id
    where reviews.cp_plan_id is null
        and reviews.cp_review_date > plans.cp_plan_start_date
        and reviews.cp_review_date <= plans.census_date

),

prior as (

    -- each plan's last review before the year
    select cp_plan_id, census_date, max(cp_review_date) as last_review_before
    from plan_reviews
    where cp_review_date < year_start
    group by cp_plan_id, census_date

),

anchored as (

    -- when the first review of the year was due
    select
        plans.cp_plan_id,
        plans.child_id,
        plans.census_date,
        plans.year_start,
        case
            when prior.last_review_before is not null
                then prior.last_review_before + interval 6 month
            when plans.cp_plan_start_date >= plans.year_start - interval 3 month
                then plans.cp_plan_start_date + interval 3 month
            else plans.year_start - interval 1 day + interval 6 month
        end as first_due_by
    from plans
    left join prior
        on prior.cp_plan_id = plans.cp_plan_id
        and prior.census_date = plans.census_date

),

in_year as (

    -- the year's reviews, each with the date it was due by
    select
        anchored.cp_plan_id,
        anchored.census_date,
        plan_reviews.cp_review_date,
        coalesce(
            lag(plan_reviews.cp_review_date) over (
                partition by anchored.cp_plan_id, anchored.census_date
                order by plan_reviews.cp_review_date) + interval 6 month,
            anchored.first_due_by) as due_by
    from anchored
    inner join plan_reviews
        on plan_reviews.cp_plan_id = anchored.cp_plan_id
        and plan_reviews.census_date = anchored.census_date
        and plan_reviews.cp_review_date >= anchored.year_start

),

per_plan as (

    select
        cp_plan_id,
        census_date,
        count(*) as review_count,
        bool_and(cp_review_date <= due_by) as all_in_time,
        max(cp_review_date) + interval 6 month as next_due_by
    from in_year
    group by cp_plan_id, census_date

),

final as (

    select
        anchored.cp_plan_id,
        anchored.child_id,
        anchored.census_date,
        coalesce(per_plan.review_count, 0) as review_count,
        coalesce(per_plan.all_in_time, true)
            and anchored.census_date
                <= coalesce(per_plan.next_due_by, anchored.first_due_by)
            as is_reviewed_on_time
    from anchored
    left join per_plan
        on per_plan.cp_plan_id = anchored.cp_plan_id
        and per_plan.census_date = anchored.census_date

)

select * from final
