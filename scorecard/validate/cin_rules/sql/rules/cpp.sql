-- Rules about child protection plans (ChildProtectionPlans).
-- Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 1105
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, CINreferralDate
-- message: The child protection plan start date cannot be before the referral date
-- checks: A CP plan starting before the referral date of its CINdetails (the same day is allowed).
with hits as (
    select p.return_id, p.row_key as p_key, p.start_date, d.row_key as d_key, d.referral_date
    from cin_cpp as p join cin_details as d using (return_id, episode)
    where p.start_date < d.referral_date
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CPPstartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, p_key::varchar, d_key, 'CINreferralDate', referral_date::varchar, true
from hits

-- rule: 2885
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, DateOfInitialCPC, ICPCnotRequired
-- message: Child protection plan shown as starting a different day to the initial child protection
--   conference.
-- checks: A CP plan starting in the census year on a day that is not the initial conference date of a
--   Section47 of its CINdetails (those not marked "conference not required"), or, where its
--   CINdetails has no such Section47, not the CINdetails' own initial conference date.
-- note: The reference validator recognises only 1, not true, as "not required".
-- needs: DateOfInitialCPC
with plans as (
    select p.*
    from cin_cpp as p join cin_return as r using (return_id)
    where p.episode is not null and p.start_date between r.cs and r.rd
),

s47 as (
    select * from cin_s47 where icpc_not_required is not true
),

hits as (
    select p.return_id, p.row_key as p_key, p.start_date, p.episode,
           exists (select 1 from s47 as s where s.return_id = p.return_id and s.episode = p.episode) as via_s47
    from plans as p
    where case
        when exists (select 1 from s47 as s where s.return_id = p.return_id and s.episode = p.episode)
            then not exists (select 1 from s47 as s where s.return_id = p.return_id and s.episode = p.episode
                             and s.icpc_date = p.start_date)
        else not exists (select 1 from cin_details as d where d.return_id = p.return_id
                         and d.episode = p.episode and d.icpc_date = p.start_date)
    end
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CPPstartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select h.return_id, h.p_key::varchar, s.row_key, 'DateOfInitialCPC', s.icpc_date::varchar, true
from hits as h join s47 as s on s.return_id = h.return_id and s.episode = h.episode
where h.via_s47
union all
select h.return_id, h.p_key::varchar, d.row_key, 'DateOfInitialCPC', d.icpc_date::varchar, true
from hits as h join cin_details as d on d.return_id = h.return_id and d.episode = h.episode
where not h.via_s47

-- rule: 4017
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, CINPlanStartDate, CINPlanEndDate, ReferenceDate
-- message: A CIN Plan has been reported as open at the same time as a Child Protection Plan.
-- checks: A CP plan of a child starting on or after the start of one of the child's CIN plans and
--   before its end (on or before the reference date while it is open). A CP plan starting the day
--   the CIN plan ends is allowed.
-- needs: CINPlanEndDate
with hits as (
    select c.return_id, c.row_key as c_key, c.start_date, p.row_key as p_key, p.start_date as p_start,
           p.end_date as p_end
    from cin_cpp as c
    join cin_plan as p on p.return_id = c.return_id and p.child_id = c.child_id
    join cin_return as r on r.return_id = c.return_id
    where c.start_date >= p.start_date
        and (c.start_date < p.end_date or (p.end_date is null and c.start_date <= r.rd))
)

select return_id, c_key || '-' || p_key as error_key, c_key as row_key, 'CPPstartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, c_key || '-' || p_key, p_key, 'CINPlanStartDate', p_start::varchar, true from hits
union all
select return_id, c_key || '-' || p_key, p_key, 'CINPlanEndDate', p_end::varchar, true from hits

-- rule: 8720
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, ReferenceDate
-- message: Child Protection Plan Start Date missing or out of data collection period
-- checks: A CP plan start date that is blank or after the reference date.
select
    p.return_id,
    p.row_key::varchar as error_key,
    p.row_key,
    'CPPstartDate' as field,
    p.start_date::varchar as value
from cin_cpp as p join cin_return as r using (return_id)
where p.start_date is null or p.start_date > r.rd

-- rule: 8730
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: NumberOfPreviousCPP
-- message: Total Number of previous Child Protection Plans missing
-- checks: The number of previous CP plans is blank, not a whole number, or negative.
-- note: The reference validator stops with an error (and reports nothing) on a value that is not a number.
-- needs: NumberOfPreviousCPP
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'NumberOfPreviousCPP' as field,
    previous_cpp as value
from cin_cpp
where previous_cpp is null or try_cast(trim(previous_cpp) as bigint) is null
    or try_cast(trim(previous_cpp) as bigint) < 0

-- rule: 8840
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, CPPendDate
-- message: Child Protection Plan cannot start and end on the same day
-- checks: A CP plan ending on the day it started.
select return_id, row_key::varchar as error_key, row_key, 'CPPendDate' as field, end_date::varchar as value
from cin_cpp
where end_date = start_date

-- rule: 8905
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: InitialCategoryOfAbuse
-- message: Initial Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census
--   code set)
-- checks: The initial category of abuse is blank or not NEG, PHY, SAB, EMO or MUL.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'InitialCategoryOfAbuse' as field,
    initial_category as value
from cin_cpp
where initial_category is null or initial_category not in ('NEG', 'PHY', 'SAB', 'EMO', 'MUL')

-- rule: 8910
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: LatestCategoryOfAbuse
-- message: Latest Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census
--   code set)
-- checks: The latest category of abuse is blank or not NEG, PHY, SAB, EMO or MUL (outside a census
--   file a blank latest category means the initial one, as the canonical layout says).
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'LatestCategoryOfAbuse' as field,
    latest_category as value
from cin_cpp
where latest_category is null or latest_category not in ('NEG', 'PHY', 'SAB', 'EMO', 'MUL')

-- rule: 8915
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, PersonDeathDate
-- message: Child Protection Plan shown as starting after the child's Date of Death
-- checks: A CP plan starting after the child's date of death (the same day is allowed).
with hits as (
    select p.return_id, p.row_key as p_key, p.start_date, c.row_key as c_key, c.death_date
    from cin_cpp as p join cin_child as c on c.return_id = p.return_id and c.child_id = p.child_id
    where p.start_date > c.death_date
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CPPstartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, p_key::varchar, c_key, 'PersonDeathDate', death_date::varchar, true
from hits

-- rule: 8920
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPendDate, PersonDeathDate
-- message: Child Protection Plan cannot end after the child's Date of Death
-- checks: A CP plan ending after the child's date of death (the same day is allowed).
with hits as (
    select p.return_id, p.row_key as p_key, p.end_date, c.row_key as c_key, c.death_date
    from cin_cpp as p join cin_child as c on c.return_id = p.return_id and c.child_id = p.child_id
    where p.end_date > c.death_date
)

select return_id, p_key::varchar as error_key, p_key as row_key, 'CPPendDate' as field,
       end_date::varchar as value, false as context
from hits
union all
select return_id, p_key::varchar, c_key, 'PersonDeathDate', death_date::varchar, true
from hits

-- rule: 8925
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, CPPendDate
-- message: Child Protection Plan End Date earlier than Start Date
-- checks: A CP plan ending before it started.
select return_id, row_key::varchar as error_key, row_key, 'CPPendDate' as field, end_date::varchar as value
from cin_cpp
where end_date < start_date
union all
select return_id, row_key::varchar, row_key, 'CPPstartDate', start_date::varchar
from cin_cpp
where end_date < start_date

-- rule: 8930
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPendDate, ReferenceDate
-- message: Child Protection Plan End Date must fall within the census year
-- checks: A CP plan end date outside the census year.
select
    p.return_id,
    p.row_key::varchar as error_key,
    p.row_key,
    'CPPendDate' as field,
    p.end_date::varchar as value
from cin_cpp as p join cin_return as r using (return_id)
where p.end_date not between r.cs and r.rd

-- rule: 8935
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPendDate
-- message: This child is showing more than one open Child Protection plan, i.e. with no End Date
-- checks: A child with more than one CP plan with no end date (in any of their CINdetails): each open
--   plan is flagged, linked as one error.
-- note: The reference validator groups plans by their position within each CINdetails, so it misses
--   two open plans in one CINdetails.
-- needs: CPPendDate
select
    return_id,
    'open-' || min(row_key) over (partition by return_id, child_id) as error_key,
    row_key,
    'CPPendDate' as field,
    null as value
from cin_cpp
where end_date is null
qualify count(*) over (partition by return_id, child_id) > 1

-- rule: 8940
-- type: error
-- years: 2022-23
-- level: cpp
-- fields: CPPstartDate, CPPendDate, ReferenceDate
-- message: Child Protection Plan data contains overlapping dates
-- checks: A CP plan of a child starting on or after the start of another of the child's plans and on or
--   before its end (or the reference date while it is open); a plan starting the day another ended
--   overlaps it. The later plan is flagged, the earlier shown with it.
-- note: The reference validator compares plans by their position within each CINdetails, so it misses
--   overlaps between the first plans of two CINdetails.
-- needs: CPPendDate
with hits as (
    select a.return_id, a.row_key as a_key, a.start_date as a_start,
           b.row_key as b_key, b.start_date as b_start, b.end_date as b_end
    from cin_cpp as a
    join cin_cpp as b on b.return_id = a.return_id and b.child_id = a.child_id and b.row_key <> a.row_key
    join cin_return as r on r.return_id = a.return_id
    where b.start_date <= a.start_date and a.start_date <= coalesce(b.end_date, r.rd)
)

select return_id, a_key || '-' || b_key as error_key, a_key as row_key, 'CPPstartDate' as field,
       a_start::varchar as value, false as context
from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'CPPstartDate', b_start::varchar, true from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'CPPendDate', b_end::varchar, true from hits
