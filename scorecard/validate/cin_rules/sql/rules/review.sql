-- Rules about child protection plan reviews (Reviews / CPPreviewDate).
-- Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 4003
-- type: error
-- years: 2022-23
-- level: review
-- fields: CPPreviewDate, CPPendDate, CINPlanStartDate, CINPlanEndDate
-- message: A CPP review date is shown as being held at the same time as an open CIN Plan.
-- checks: In one CINdetails, a CP plan review dated on or after a CIN plan's start and before its end
--   (on or before the reference date while it is open), unless the review is on the CP plan's end date.
-- note: The reference validator matches reviews to CIN plans across all of the child's CINdetails,
--   reads only the first review date of a plan, and never checks open CIN plans or open CP plans.
-- needs: CINPlanEndDate
with hits as (
    select v.return_id, v.row_key as v_key, v.review_date, p.row_key as p_key, p.start_date as p_start
    from cin_review as v
    join cin_cpp as c on c.row_key = v.parent_key
    join cin_plan as p on p.return_id = v.return_id and p.episode = v.episode
    join cin_return as r on r.return_id = v.return_id
    where v.review_date >= p.start_date
        and (v.review_date < p.end_date or (p.end_date is null and v.review_date <= r.rd))
        and v.review_date is distinct from c.end_date
)

select return_id, v_key || '-' || p_key as error_key, v_key as row_key, 'CPPreviewDate' as field,
       review_date::varchar as value, false as context
from hits
union all
select return_id, v_key || '-' || p_key, p_key, 'CINPlanStartDate', p_start::varchar, true
from hits

-- rule: 8841
-- type: error
-- years: 2022-23
-- level: review
-- fields: CPPreviewDate, CPPstartDate
-- message: The review date cannot be on the same day or before the Child protection Plan start date.
-- checks: A CP plan review dated on or before the plan's start.
-- note: The reference validator reads only the first review date of each plan.
with hits as (
    select v.return_id, v.row_key as v_key, v.review_date, c.row_key as c_key, c.start_date
    from cin_review as v join cin_cpp as c on c.row_key = v.parent_key
    where v.review_date <= c.start_date
)

select return_id, v_key::varchar as error_key, v_key as row_key, 'CPPreviewDate' as field,
       review_date::varchar as value, false as context
from hits
union all
select return_id, v_key::varchar, c_key, 'CPPstartDate', start_date::varchar, true
from hits

-- rule: 8842Q
-- type: query
-- years: 2022-23
-- level: review
-- fields: CPPreviewDate
-- message: Please check and either amend or provide a reason: Review Record has a missing date
-- checks: A CP plan review with no date.
-- note: The reference validator drops a Reviews element with no review date while reading, so it can
--   only fire on an empty CPPreviewDate element.
select return_id, row_key::varchar as error_key, row_key, 'CPPreviewDate' as field, null as value
from cin_review
where review_date is null
