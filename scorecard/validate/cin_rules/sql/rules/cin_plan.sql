-- Rules about CIN plans (CINPlanDates).
-- Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 4001
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CPPendDate, CINPlanStartDate, CINPlanEndDate
-- message: A CIN Plan cannot run concurrently with a Child Protection Plan
-- checks: In one CINdetails, an open CIN plan (started, no end date) and an open child protection plan
--   (no end date): both are flagged.
-- needs: CPPendDate, CINPlanEndDate
with hits as (
    select p.return_id, p.row_key as p_key, p.start_date, c.row_key as c_key
    from cin_plan as p join cin_cpp as c using (return_id, episode)
    where p.start_date is not null and p.end_date is null and c.end_date is null
)

select return_id, p_key || '-' || c_key as error_key, p_key as row_key, 'CINPlanEndDate' as field,
       null as value, false as context
from hits
union all
select return_id, p_key || '-' || c_key, c_key, 'CPPendDate', null, false
from hits

-- rule: 4008
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: PersonDeathDate, CINPlanStartDate
-- message: CIN Plan shown as starting after the child's Date of Death.
-- checks: A CIN plan starting after the child's date of death (the same day is allowed).
with hits as (
    select p.return_id, p.row_key as p_key, p.start_date, c.row_key as c_key, c.death_date
    from cin_plan as p join cin_child as c on c.return_id = p.return_id and c.child_id = p.child_id
    where p.start_date > c.death_date
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CINPlanStartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, p_key::varchar, c_key, 'PersonDeathDate', death_date::varchar, true
from hits

-- rule: 4009Q
-- type: query
-- years: 2022-23
-- level: cin_plan
-- fields: PersonDeathDate, CINPlanEndDate
-- message: CIN Plan cannot end after the child's Date of Death
-- checks: A CIN plan ending after the child's date of death.
with hits as (
    select p.return_id, p.row_key as p_key, p.end_date, c.row_key as c_key, c.death_date
    from cin_plan as p join cin_child as c on c.return_id = p.return_id and c.child_id = p.child_id
    where p.end_date > c.death_date
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CINPlanEndDate' as field,
       end_date::varchar as value, false as context
from hits
union all
select return_id, p_key::varchar, c_key, 'PersonDeathDate', death_date::varchar, true
from hits

-- rule: 4010
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanStartDate, ReferenceDate
-- message: CIN Plan start date is missing or out of data collection period
-- checks: A CIN plan start date that is blank or after the reference date.
-- note: A CIN plan with no start date cannot be loaded (the start is required): it is quarantined and
--   reported as load.blank_required.
select
    p.return_id,
    p.row_key::varchar as error_key,
    p.row_key,
    'CINPlanStartDate' as field,
    p.start_date::varchar as value
from cin_plan as p join cin_return as r using (return_id)
where p.start_date is null or p.start_date > r.rd

-- rule: 4011
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanStartDate, CINPlanEndDate
-- message: CIN Plan End Date earlier than Start Date
-- checks: A CIN plan ending before it started.
select return_id, row_key::varchar as error_key, row_key, 'CINPlanEndDate' as field, end_date::varchar as value
from cin_plan
where end_date < start_date
union all
select return_id, row_key::varchar, row_key, 'CINPlanStartDate', start_date::varchar
from cin_plan
where end_date < start_date

-- rule: 4012Q
-- type: query
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanStartDate, CINPlanEndDate
-- message: Please check and either amend or provide a reason: CIN Plan shown as starting and ending on
--   the same day
-- checks: A CIN plan ending on the day it started.
select return_id, row_key::varchar as error_key, row_key, 'CINPlanEndDate' as field, end_date::varchar as value
from cin_plan
where end_date = start_date

-- rule: 4013
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanEndDate, ReferenceDate
-- message: CIN Plan end date must fall within the census year
-- checks: A CIN plan end date outside the census year.
select
    p.return_id,
    p.row_key::varchar as error_key,
    p.row_key,
    'CINPlanEndDate' as field,
    p.end_date::varchar as value
from cin_plan as p join cin_return as r using (return_id)
where p.end_date not between r.cs and r.rd

-- rule: 4014
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanStartDate, CINPlanEndDate, ReferenceDate
-- message: CIN Plan data contains overlapping dates
-- checks: A CIN plan of a child starting on or after the start of another of the child's CIN plans and
--   on or before its end (or the reference date while it is open); a plan starting the day another
--   ended overlaps it. The later plan is flagged, the earlier shown with it.
-- needs: CINPlanEndDate
with hits as (
    select a.return_id, a.row_key as a_key, a.start_date as a_start,
           b.row_key as b_key, b.start_date as b_start, b.end_date as b_end
    from cin_plan as a
    join cin_plan as b on b.return_id = a.return_id and b.child_id = a.child_id and b.row_key <> a.row_key
    join cin_return as r on r.return_id = a.return_id
    where b.start_date <= a.start_date and a.start_date <= coalesce(b.end_date, r.rd)
)

select return_id, a_key || '-' || b_key as error_key, a_key as row_key, 'CINPlanStartDate' as field,
       a_start::varchar as value, false as context
from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'CINPlanStartDate', b_start::varchar, true from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'CINPlanEndDate', b_end::varchar, true from hits

-- rule: 4015
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanStartDate, CINreferralDate
-- message: The CIN Plan start date cannot be before the referral date
-- checks: A CIN plan starting before the referral date of its CINdetails.
with hits as (
    select p.return_id, p.row_key as p_key, p.start_date, d.row_key as d_key, d.referral_date
    from cin_plan as p join cin_details as d using (return_id, episode)
    where p.start_date < d.referral_date
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CINPlanStartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, p_key::varchar, d_key, 'CINreferralDate', referral_date::varchar, true
from hits

-- rule: 4016
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanStartDate, CPPstartDate, CPPendDate, ReferenceDate
-- message: A CIN Plan has been reported as open at the same time as a Child Protection Plan.
-- checks: A CIN plan of a child starting on or after the start of one of the child's CP plans and
--   before its end (on or before the reference date while it is open). A CIN plan starting the day
--   the CP plan ends is allowed.
-- needs: CPPendDate
with hits as (
    select p.return_id, p.row_key as p_key, p.start_date, c.row_key as c_key, c.start_date as c_start,
           c.end_date as c_end
    from cin_plan as p
    join cin_cpp as c on c.return_id = p.return_id and c.child_id = p.child_id
    join cin_return as r on r.return_id = p.return_id
    where p.start_date >= c.start_date
        and (p.start_date < c.end_date or (c.end_date is null and p.start_date <= r.rd))
)

select return_id, p_key || '-' || c_key as error_key, p_key as row_key, 'CINPlanStartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, p_key || '-' || c_key, c_key, 'CPPstartDate', c_start::varchar, true from hits
union all
select return_id, p_key || '-' || c_key, c_key, 'CPPendDate', c_end::varchar, true from hits
