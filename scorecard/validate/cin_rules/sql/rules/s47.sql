-- Rules about section 47 enquiries and initial child protection conferences (Section47).
-- Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 1104
-- type: error
-- years: 2022-23
-- level: s47
-- fields: DateOfInitialCPC, CINreferralDate
-- message: The date of the initial child protection conference cannot be before the referral date
-- checks: A Section47's initial conference dated before the referral date of its CINdetails.
with hits as (
    select s.return_id, s.row_key as s_key, s.icpc_date, d.row_key as d_key, d.referral_date
    from cin_s47 as s join cin_details as d using (return_id, episode)
    where s.icpc_date < d.referral_date
)

select return_id, s_key::varchar as error_key, s_key as row_key, 'DateOfInitialCPC' as field,
       icpc_date::varchar as value, false as context
from hits
union all
select return_id, s_key::varchar, d_key, 'CINreferralDate', referral_date::varchar, true
from hits

-- rule: 2884
-- type: error
-- years: 2022-23
-- level: s47
-- fields: DateOfInitialCPC
-- message: An initial child protection conference is recorded at both the S47 and CIN Details level and
--   it should only be recorded in one
-- checks: The same initial conference date is recorded on a Section47 and on its CINdetails.
-- note: The reference validator matches the dates across all of the child's CINdetails; a conference
--   belongs to one CINdetails, so here only the same CINdetails counts.
with hits as (
    select s.return_id, s.row_key as s_key, s.icpc_date, d.row_key as d_key
    from cin_s47 as s join cin_details as d using (return_id, episode)
    where s.icpc_date = d.icpc_date
)

select return_id, s_key::varchar as error_key, s_key as row_key, 'DateOfInitialCPC' as field,
       icpc_date::varchar as value, false as context
from hits
union all
select return_id, s_key::varchar, d_key, 'DateOfInitialCPC', icpc_date::varchar, false
from hits

-- rule: 2889
-- type: error
-- years: 2022-23
-- level: s47
-- fields: S47ActualStartDate, CINreferralDate
-- message: The S47 start date cannot be before the referral date.
-- checks: A Section47 starting before the referral date of its CINdetails (the same day is allowed).
with hits as (
    select s.return_id, s.row_key as s_key, s.start_date, d.row_key as d_key, d.referral_date
    from cin_s47 as s join cin_details as d using (return_id, episode)
    where s.start_date < d.referral_date
)

select return_id, s_key::varchar as error_key, s_key as row_key, 'S47ActualStartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, s_key::varchar, d_key, 'CINreferralDate', referral_date::varchar, true
from hits

-- rule: 8615
-- type: error
-- years: 2022-23
-- level: s47
-- fields: S47ActualStartDate, DateOfInitialCPC
-- message: Section 47 Enquiry Start Date must be present and cannot be later than the date of the
--   initial Child Protection Conference
-- checks: A Section47 with a conference date but no start date, or starting after its conference
--   (the same day is allowed).
-- note: A Section47 with no start date cannot be loaded (the start is required): it is quarantined and
--   reported as load.blank_required.
select return_id, row_key::varchar as error_key, row_key, 'S47ActualStartDate' as field,
       start_date::varchar as value
from cin_s47
where (icpc_date is not null and start_date is null) or start_date > icpc_date
union all
select return_id, row_key::varchar, row_key, 'DateOfInitialCPC', icpc_date::varchar
from cin_s47
where (icpc_date is not null and start_date is null) or start_date > icpc_date

-- rule: 8675Q
-- type: query
-- years: 2022-23
-- level: s47
-- fields: S47ActualStartDate, DateOfInitialCPC, ICPCnotRequired, ReferenceDate
-- message: Please check and either amend data or provide a reason: S47 Enquiry started more than 15
--   working days before the end of the census year. However, there is no date of Initial Child
--   Protection Conference.
-- checks: A Section47 with no conference date, marked as needing one, that started more than 15
--   working days before the reference date (working days counted after the start day).
-- note: The reference validator counts the start day too, so its cut-off is one working day later.
-- needs: DateOfInitialCPC
select
    s.return_id,
    s.row_key::varchar as error_key,
    s.row_key,
    'S47ActualStartDate' as field,
    s.start_date::varchar as value
from cin_s47 as s join cin_return as r using (return_id)
where s.icpc_date is null and s.icpc_not_required = false and s.start_date < r.wd15_cutoff

-- rule: 8715
-- type: error
-- years: 2022-23
-- level: s47
-- fields: DateOfInitialCPC, ReferenceDate
-- message: Date of Initial Child Protection Conference must fall within the census year
-- checks: A Section47's conference date outside the census year.
select
    s.return_id,
    s.row_key::varchar as error_key,
    s.row_key,
    'DateOfInitialCPC' as field,
    s.icpc_date::varchar as value
from cin_s47 as s join cin_return as r using (return_id)
where s.icpc_date not between r.cs and r.rd

-- rule: 8740
-- type: error
-- years: 2022-23
-- level: s47
-- fields: S47ActualStartDate, DateOfInitialCPC, ICPCnotRequired, ReferenceDate
-- message: For a Section 47 Enquiry that has not held the Initial Child Protection Conference by the end
--   of the census year, the start date must fall within the census year
-- checks: A Section47 with no conference date, marked as needing one, starting outside the census year.
-- note: The reference validator recognises only 0, not false, as "needed".
-- needs: DateOfInitialCPC
select
    s.return_id,
    s.row_key::varchar as error_key,
    s.row_key,
    'S47ActualStartDate' as field,
    s.start_date::varchar as value
from cin_s47 as s join cin_return as r using (return_id)
where s.icpc_date is null and s.icpc_not_required = false and s.start_date not between r.cs and r.rd

-- rule: 8870Q
-- type: query
-- years: 2022-23
-- level: s47
-- fields: InitialCPCtarget
-- message: Please check and either amend or provide a reason: The Target Date for Initial Child
--   Protection Conference should not be a weekend
-- checks: A conference target date on a Saturday or Sunday.
-- note: The reference validator never fires on ISO dates (it re-reads them as day-month-year).
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'InitialCPCtarget' as field,
    icpc_target_date::varchar as value
from cin_s47
where isodow(icpc_target_date) >= 6

-- rule: 8875
-- type: error
-- years: 2022-23
-- level: s47
-- fields: DateOfInitialCPC
-- message: The Date of Initial Child Protection Conference cannot be a weekend
-- checks: A Section47's conference date on a Saturday or Sunday.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'DateOfInitialCPC' as field,
    icpc_date::varchar as value
from cin_s47
where isodow(icpc_date) >= 6

-- rule: 8890
-- type: error
-- years: 2022-23
-- level: s47
-- fields: S47ActualStartDate, DateOfInitialCPC, ICPCnotRequired, ReferenceDate
-- message: A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing
-- checks: In one CINdetails, a Section47 starting on or after another's start and on or before its
--   conference (or the reference date while it awaits one). The later one is flagged, the earlier
--   shown with it. An enquiry with no conference marked "not required" is not ongoing.
-- note: The reference validator skips two enquiries with the same start and conference dates (a
--   duplicate); they overlap, so here they are flagged.
-- needs: DateOfInitialCPC
with hits as (
    select a.return_id, a.row_key as a_key, a.start_date as a_start,
           b.row_key as b_key, b.start_date as b_start, b.icpc_date as b_icpc
    from cin_s47 as a
    join cin_s47 as b on b.return_id = a.return_id and b.episode = a.episode and b.row_key <> a.row_key
    join cin_return as r on r.return_id = a.return_id
    where b.start_date <= a.start_date
        and ((b.icpc_date is not null and a.start_date <= b.icpc_date)
             or (b.icpc_date is null and b.icpc_not_required is not true and a.start_date <= r.rd))
)

select return_id, a_key || '-' || b_key as error_key, a_key as row_key, 'S47ActualStartDate' as field,
       a_start::varchar as value, false as context
from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'S47ActualStartDate', b_start::varchar, true from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'DateOfInitialCPC', b_icpc::varchar, true from hits
