-- Rules about a CINdetails block (a referral and the CIN episode it opened) and what it holds.
-- Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 2990
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReasonForClosure, DateOfInitialCPC, Section47, ChildProtectionPlans, CINPlanDates
-- message: Activity is recorded against a case marked as 'Case closed after assessment, no further
--   action' or 'case closed after assessment, referred to early help'.
-- checks: A CINdetails closed with RC8 or RC9 that holds a Section47, a child protection plan, a CIN
--   plan or an initial conference date.
with closed as (
    select * from cin_details where reason_for_closure in ('RC8', 'RC9')
),

activity as (
    select d.row_key as d_key, d.return_id, d.row_key, 'DateOfInitialCPC' as field, d.icpc_date::varchar as value
    from closed as d where d.icpc_date is not null
    union all
    select d.row_key, d.return_id, s.row_key, 'S47ActualStartDate', s.start_date::varchar
    from closed as d join cin_s47 as s using (return_id, episode)
    union all
    select d.row_key, d.return_id, p.row_key, 'CPPstartDate', p.start_date::varchar
    from closed as d join cin_cpp as p using (return_id, episode)
    union all
    select d.row_key, d.return_id, p.row_key, 'CINPlanStartDate', p.start_date::varchar
    from closed as d join cin_plan as p using (return_id, episode)
)

select d.return_id, d.row_key::varchar as error_key, d.row_key, 'ReasonForClosure' as field,
       d.reason_for_closure as value, false as context
from closed as d
where d.row_key in (select d_key from activity)
union all
select return_id, d_key::varchar, row_key, field, value, true
from activity

-- rule: 2991Q
-- type: query
-- years: 2022-23
-- level: s47
-- fields: Section47, Assessments
-- message: Please check and either amend data or provide a reason: A Section 47 module is recorded and
--   there is no assessment on the episode
-- checks: A Section47 in a CINdetails that has no assessment: each Section47 is flagged.
-- needs: Assessments
select
    s.return_id,
    s.row_key::varchar as error_key,
    s.row_key,
    'S47ActualStartDate' as field,
    s.start_date::varchar as value
from cin_s47 as s
where s.episode is not null
    and not exists (select 1 from cin_assessment as a where a.return_id = s.return_id and a.episode = s.episode)

-- rule: 4000
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReferralNFA, CINPlanDates
-- message: CIN Plan details provided for a referral with no further action
-- checks: A CINdetails marked as a referral with no further action that holds a CIN plan.
with hits as (
    select d.return_id, d.row_key as d_key, d.referral_nfa, p.row_key as p_key, p.start_date
    from cin_details as d join cin_plan as p using (return_id, episode)
    where d.referral_nfa
)

select distinct return_id, d_key::varchar as error_key, d_key as row_key, 'ReferralNFA' as field,
       referral_nfa::varchar as value, false as context
from hits
union all
select return_id, d_key::varchar, p_key, 'CINPlanStartDate', start_date::varchar, true
from hits

-- rule: 4004
-- type: error
-- years: 2022-23
-- level: cin_plan
-- fields: CINPlanEndDate
-- message: This child is showing more than one open CIN Plan, i.e. with no End Date
-- checks: More than one CIN plan with no end date in one CINdetails: each open plan is flagged,
--   linked as one error.
-- note: The reference validator flags every CIN plan of the CINdetails, closed ones too.
-- needs: CINPlanEndDate
select
    return_id,
    'open-' || min(row_key) over (partition by return_id, episode) as error_key,
    row_key,
    'CINPlanEndDate' as field,
    null as value
from cin_plan
where end_date is null and episode is not null
qualify count(*) over (partition by return_id, episode) > 1

-- rule: 8555Q
-- type: query
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, PersonDeathDate
-- message: Child cannot be referred after its recorded date of death
-- checks: A referral dated after the child's date of death (the same day is allowed).
with hits as (
    select d.return_id, d.row_key as d_key, d.referral_date, c.row_key as c_key, c.death_date
    from cin_details as d join cin_child as c on c.return_id = d.return_id and c.child_id = d.child_id
    where d.referral_date > c.death_date
)

select return_id, d_key::varchar as error_key, d_key as row_key, 'CINreferralDate' as field,
       referral_date::varchar as value, false as context
from hits
union all
select return_id, d_key::varchar, c_key, 'PersonDeathDate', death_date::varchar, true
from hits

-- rule: 8565
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINclosureDate, DateOfInitialCPC, AssessmentActualStartDate, AssessmentAuthorisationDate,
--   S47ActualStartDate, CPPendDate, CINPlanStartDate, CINPlanEndDate
-- message: Activity shown after a case has been closed
-- checks: A closed CINdetails holding a later date: its initial conference, an assessment's start or
--   authorisation, a Section47's start or conference, a CP plan's end, or a CIN plan's start or end.
-- note: The reference validator never checks the CP plan end date (its check of it reads made-up data).
with closed as (
    select * from cin_details where closure_date is not null
),

dates as (
    select return_id, episode, row_key, 'DateOfInitialCPC' as field, icpc_date as d from cin_details
    union all
    select return_id, episode, row_key, 'AssessmentActualStartDate', start_date from cin_assessment
    union all
    select return_id, episode, row_key, 'AssessmentAuthorisationDate', authorisation_date from cin_assessment
    union all
    select return_id, episode, row_key, 'S47ActualStartDate', start_date from cin_s47
    union all
    select return_id, episode, row_key, 'DateOfInitialCPC', icpc_date from cin_s47
    union all
    select return_id, episode, row_key, 'CPPendDate', end_date from cin_cpp
    union all
    select return_id, episode, row_key, 'CINPlanStartDate', start_date from cin_plan
    union all
    select return_id, episode, row_key, 'CINPlanEndDate', end_date from cin_plan
),

hits as (
    select c.return_id, c.row_key as c_key, c.closure_date, x.row_key, x.field, x.d
    from closed as c join dates as x using (return_id, episode)
    where x.d > c.closure_date
)

select distinct return_id, c_key::varchar as error_key, c_key as row_key, 'CINclosureDate' as field,
       closure_date::varchar as value, false as context
from hits
union all
select return_id, c_key::varchar, row_key, field, d::varchar, true
from hits

-- rule: 8568
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReferralNFA
-- message: RNFA flag is missing or invalid
-- checks: ReferralNFA is blank (a value other than 1, 0, true or false cannot be loaded and is
--   reported as load.unrecognised_flag).
-- needs: ReferralNFA
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'ReferralNFA' as field,
    null as value
from cin_details
where referral_nfa is null

-- rule: 8569Q
-- type: query
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, ReferralNFA, ReferenceDate
-- message: A case with referral date before one working day prior to the collection start date must
--   not be flagged as a no further action case
-- checks: A referral with no further action dated before the last working day before the collection
--   start (31 March 2022 for 2022-23).
-- note: The reference validator's cut-off is one working day later (the collection start itself) and
--   it also flags a blank ReferralNFA (which is 8568's).
select
    d.return_id,
    d.row_key::varchar as error_key,
    d.row_key,
    'CINreferralDate' as field,
    d.referral_date::varchar as value
from cin_details as d join cin_return as r using (return_id)
where d.referral_nfa and d.referral_date < r.nfa_cutoff

-- rule: 8585Q
-- type: query
-- years: 2022-23
-- level: details
-- fields: ReasonForClosure, PersonDeathDate
-- message: Please check and either amend or provide a reason: CIN episode shows Died as the Closure
--   Reason, however child has no recorded Date of Death
-- checks: A CINdetails closed with RC2 (died) for a child with no date of death.
-- needs: PersonDeathDate
select
    d.return_id,
    d.row_key::varchar as error_key,
    d.row_key,
    'ReasonForClosure' as field,
    d.reason_for_closure as value
from cin_details as d
where d.reason_for_closure = 'RC2'
    and not exists (select 1 from cin_child as c where c.return_id = d.return_id and c.child_id = d.child_id
                    and c.death_date is not null)

-- rule: 8600
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, ReferenceDate
-- message: Child referral date missing or after data collection period
-- checks: The referral date is blank or after the reference date.
select
    d.return_id,
    d.row_key::varchar as error_key,
    d.row_key,
    'CINreferralDate' as field,
    d.referral_date::varchar as value
from cin_details as d join cin_return as r using (return_id)
where d.referral_date is null or d.referral_date > r.rd

-- rule: 8606
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, PersonBirthDate, ExpectedPersonBirthDate
-- message: Child referral date is more than 40 weeks before DOB or expected DOB
-- checks: A referral more than 280 days before the child's date of birth or expected date of birth.
with hits as (
    select d.return_id, d.row_key as d_key, d.referral_date, c.row_key as c_key,
           c.birth_date, c.expected_birth_date
    from cin_details as d join cin_child as c on c.return_id = d.return_id and c.child_id = d.child_id
    where d.referral_date < c.birth_date - 280 or d.referral_date < c.expected_birth_date - 280
)

select return_id, d_key::varchar as error_key, d_key as row_key, 'CINreferralDate' as field,
       referral_date::varchar as value, false as context
from hits
union all
select return_id, d_key::varchar, c_key,
       case when referral_date < birth_date - 280 then 'PersonBirthDate' else 'ExpectedPersonBirthDate' end,
       coalesce(birth_date, expected_birth_date)::varchar, true
from hits

-- rule: 8610
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReferralNFA, PrimaryNeedCode
-- message: Primary Need code is missing for a referral which led to further action.
-- checks: A CINdetails that is not a referral with no further action has no primary need code.
-- needs: PrimaryNeedCode
-- note: The loader requires a primary need unless the block is a referral with no further action, so a
--   block with neither is quarantined and reported as load.blank_required.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'PrimaryNeedCode' as field,
    null as value
from cin_details
where referral_nfa = false and primary_need is null

-- rule: 8620
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINclosureDate, ReferenceDate
-- message: CIN Closure Date present and does not fall within the Census year
-- checks: A closure date outside the census year (1 April to the reference date).
select
    d.return_id,
    d.row_key::varchar as error_key,
    d.row_key,
    'CINclosureDate' as field,
    d.closure_date::varchar as value
from cin_details as d join cin_return as r using (return_id)
where d.closure_date not between r.cs and r.rd

-- rule: 8630
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, CINclosureDate
-- message: CIN Closure Date is before CIN Referral Date for the same CIN episode
-- checks: The closure date is before the referral date (the same day is allowed).
select return_id, row_key::varchar as error_key, row_key, 'CINclosureDate' as field, closure_date::varchar as value
from cin_details
where closure_date < referral_date
union all
select return_id, row_key::varchar, row_key, 'CINreferralDate', referral_date::varchar
from cin_details
where closure_date < referral_date

-- rule: 8640
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReasonForClosure
-- message: CIN Reason for closure code invalid (see Reason for Closure table in CIN Census code set)
-- checks: A reason for closure that is not RC1 to RC9.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'ReasonForClosure' as field,
    reason_for_closure as value
from cin_details
where reason_for_closure not in ('RC1', 'RC2', 'RC3', 'RC4', 'RC5', 'RC6', 'RC7', 'RC8', 'RC9')

-- rule: 8650
-- type: error
-- years: 2022-23
-- level: details
-- fields: PrimaryNeedCode
-- message: Primary Need Code invalid (see Primary Need table in CIN census code set)
-- checks: A primary need code that is not N0 to N9.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'PrimaryNeedCode' as field,
    primary_need as value
from cin_details
where primary_need not in ('N0', 'N1', 'N2', 'N3', 'N4', 'N5', 'N6', 'N7', 'N8', 'N9')

-- rule: 8805
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINclosureDate, ReasonForClosure
-- message: A CIN case cannot have a CIN closure date without a Reason for Closure
-- checks: A closure date with no reason for closure.
-- needs: ReasonForClosure
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'CINclosureDate' as field,
    closure_date::varchar as value
from cin_details
where closure_date is not null and reason_for_closure is null

-- rule: 8810
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReasonForClosure, CINclosureDate
-- message: A CIN case cannot have a Reason for Closure without a CIN Closure Date
-- checks: A reason for closure with no closure date.
-- needs: CINclosureDate
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'ReasonForClosure' as field,
    reason_for_closure as value
from cin_details
where reason_for_closure is not null and closure_date is null

-- rule: 8815
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINclosureDate, ReferralNFA
-- message: More than one open CIN Details episode (a module with no CIN Closure Date) has been provided
--   for this child and case is not a referral with no further action.
-- checks: A child with more than one open CINdetails that is not a referral with no further action:
--   each of them is flagged, linked as one error.
-- needs: CINclosureDate
select
    return_id,
    'open-' || min(row_key) over (partition by return_id, child_id) as error_key,
    row_key,
    'CINclosureDate' as field,
    null as value
from cin_details
where closure_date is null and referral_nfa = false
qualify count(*) over (partition by return_id, child_id) > 1

-- rule: 8816
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, CINclosureDate, ReferralNFA
-- message: An open CIN episode is shown and case is not a referral with no further action, but it is
--   not the latest episode.
-- checks: An open CINdetails that is not a referral with no further action, whose referral is earlier
--   than the child's latest referral (the latest CINdetails is shown with it).
-- note: The reference validator takes the first of several CINdetails sharing the latest referral date
--   as the latest, so it can flag an open one that is as late as any; here a tie is not flagged.
-- needs: CINclosureDate
with latest as (
    select *, max(referral_date) over (partition by return_id, child_id) as latest_date
    from cin_details
    where referral_date is not null
),

hits as (
    select o.return_id, o.row_key as o_key, o.referral_date, l.row_key as l_key, l.referral_date as latest_date
    from latest as o
    join latest as l on l.return_id = o.return_id and l.child_id = o.child_id and l.referral_date = o.latest_date
    where o.closure_date is null and o.referral_nfa = false and o.referral_date < o.latest_date
)

select distinct return_id, o_key::varchar as error_key, o_key as row_key, 'CINreferralDate' as field,
       referral_date::varchar as value, false as context
from hits
union all
select return_id, o_key::varchar, l_key, 'CINreferralDate', latest_date::varchar, true
from hits

-- rule: 8820
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, CINclosureDate, ReferralNFA, ReferenceDate
-- message: The dates on the CIN episodes for this child overlap
-- checks: A CINdetails referred on or after another's referral and before that one closed (or while it
--   is open and not a referral with no further action). The later CINdetails is flagged, the earlier
--   shown with it. A referral on the day the other closed is allowed.
-- needs: CINclosureDate
with hits as (
    select a.return_id, a.row_key as a_key, a.referral_date as a_ref,
           b.row_key as b_key, b.referral_date as b_ref, b.closure_date as b_close
    from cin_details as a
    join cin_details as b on b.return_id = a.return_id and b.child_id = a.child_id and b.row_key <> a.row_key
    join cin_return as r on r.return_id = a.return_id
    where a.referral_date >= b.referral_date
        and ((b.closure_date is not null and a.referral_date < b.closure_date)
             or (b.closure_date is null and b.referral_nfa = false and a.referral_date < r.rd))
)

select return_id, a_key || '-' || b_key as error_key, a_key as row_key, 'CINreferralDate' as field,
       a_ref::varchar as value, false as context
from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'CINreferralDate', b_ref::varchar, true from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'CINclosureDate', b_close::varchar, true from hits

-- rule: 8825Q
-- type: query
-- years: 2022-23
-- level: details
-- fields: ReasonForClosure, Assessments
-- message: Please check and either amend data or provide a reason: Reason for Closure code RC8 (case
--   closed after assessment) or RC9 (case closed after assessment, referred to early help) has been
--   returned but there is no assessment present for the episode.
-- checks: A CINdetails closed with RC8 or RC9 that holds no assessment.
-- needs: Assessments
select
    d.return_id,
    d.row_key::varchar as error_key,
    d.row_key,
    'ReasonForClosure' as field,
    d.reason_for_closure as value
from cin_details as d
where d.reason_for_closure in ('RC8', 'RC9')
    and not exists (select 1 from cin_assessment as a where a.return_id = d.return_id and a.episode = d.episode)

-- rule: 8831
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReferralNFA, DateOfInitialCPC, S47ActualStartDate, AssessmentActualStartDate,
--   AssessmentAuthorisationDate
-- message: Activity is recorded against a case marked as a referral with no further action
-- checks: A referral with no further action whose CINdetails holds an initial conference date, a
--   Section47 or an assessment.
with nfa as (
    select * from cin_details where referral_nfa
),

activity as (
    select d.row_key as d_key, d.return_id, d.row_key, 'DateOfInitialCPC' as field, d.icpc_date::varchar as value
    from nfa as d where d.icpc_date is not null
    union all
    select d.row_key, d.return_id, s.row_key, 'S47ActualStartDate', s.start_date::varchar
    from nfa as d join cin_s47 as s using (return_id, episode)
    where s.start_date is not null
    union all
    select d.row_key, d.return_id, a.row_key, 'AssessmentActualStartDate', a.start_date::varchar
    from nfa as d join cin_assessment as a using (return_id, episode)
    where a.start_date is not null
    union all
    select d.row_key, d.return_id, a.row_key, 'AssessmentAuthorisationDate', a.authorisation_date::varchar
    from nfa as d join cin_assessment as a using (return_id, episode)
    where a.authorisation_date is not null
)

select d.return_id, d.row_key::varchar as error_key, d.row_key, 'ReferralNFA' as field,
       d.referral_nfa::varchar as value, false as context
from nfa as d
where d.row_key in (select d_key from activity)
union all
select return_id, d_key::varchar, row_key, field, value, true
from activity

-- rule: 8832
-- type: error
-- years: 2022-23
-- level: details
-- fields: ReferralNFA, ChildProtectionPlans
-- message: Child Protection details provided for a referral with no further action.
-- checks: A referral with no further action whose CINdetails holds a child protection plan.
-- note: The reference validator mislabels its merge and reports nothing for these plans.
with hits as (
    select d.return_id, d.row_key as d_key, d.referral_nfa, p.row_key as p_key, p.start_date
    from cin_details as d join cin_cpp as p using (return_id, episode)
    where d.referral_nfa
)

select distinct return_id, d_key::varchar as error_key, d_key as row_key, 'ReferralNFA' as field,
       referral_nfa::varchar as value, false as context
from hits
union all
select return_id, d_key::varchar, p_key, 'CPPstartDate', start_date::varchar, true
from hits

-- rule: 8839
-- type: error
-- years: 2022-23
-- level: s47
-- fields: DateOfInitialCPC, ICPCnotRequired
-- message: Within one CINDetails group there are 2 or more open S47 Assessments
-- checks: More than one Section47 in a CINdetails with no conference date and not marked "conference
--   not required" (a blank flag counts as not): each is flagged, linked as one error.
-- needs: DateOfInitialCPC
select
    return_id,
    'open-' || min(row_key) over (partition by return_id, episode) as error_key,
    row_key,
    'DateOfInitialCPC' as field,
    null as value
from cin_s47
where icpc_date is null and icpc_not_required is not true and episode is not null
qualify count(*) over (partition by return_id, episode) > 1

-- rule: 8866
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINreferralDate, ReferralSource
-- message: Source of Referral is missing or an invalid code
-- checks: A referral dated on or after 1 April 2013 whose source is blank or not a DfE referral
--   source code (outside a census file, only an episode whose referral is in the extracts).
-- needs: ReferralSource
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'ReferralSource' as field,
    referral_source as value
from cin_details
where referral_date >= date '2013-04-01' and referral_linked
    and (referral_source is null or referral_source not in (
        '1A', '1B', '1C', '1D', '2A', '2B', '3A', '3B', '3C', '3D', '3E', '3F', '4',
        '5A', '5B', '5C', '5D', '6', '7', '8', '9', '10'))

-- rule: 8867
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINclosureDate, AssessmentAuthorisationDate
-- message: CIN episode is shown as closed, however Assessment is not shown as completed
-- checks: A closed CINdetails holding an assessment with no authorisation date.
-- needs: AssessmentAuthorisationDate
with hits as (
    select d.return_id, d.row_key as d_key, d.closure_date, a.row_key as a_key
    from cin_details as d join cin_assessment as a using (return_id, episode)
    where d.closure_date is not null and a.authorisation_date is null
)

select distinct return_id, d_key::varchar as error_key, d_key as row_key, 'CINclosureDate' as field,
       closure_date::varchar as value, false as context
from hits
union all
select return_id, d_key::varchar, a_key, 'AssessmentAuthorisationDate', null, true
from hits

-- rule: 8868
-- type: error
-- years: 2022-23
-- level: details
-- fields: CINclosureDate, DateOfInitialCPC, ICPCnotRequired
-- message: CIN episode is shown as closed, however Section 47 enquiry is not shown as completed by ICPC
--   date or ICPC not required flag
-- checks: A closed CINdetails holding a Section47 with no conference date and not marked "conference
--   not required" (a blank flag counts as not).
-- note: The reference validator also flags a Section47 with both a conference date and "not required".
-- needs: DateOfInitialCPC
with hits as (
    select d.return_id, d.row_key as d_key, d.closure_date, s.row_key as s_key, s.icpc_not_required
    from cin_details as d join cin_s47 as s using (return_id, episode)
    where d.closure_date is not null and s.icpc_date is null and s.icpc_not_required is not true
)

select distinct return_id, d_key::varchar as error_key, d_key as row_key, 'CINclosureDate' as field,
       closure_date::varchar as value, false as context
from hits
union all
select return_id, d_key::varchar, s_key, 'ICPCnotRequired', icpc_not_required::varchar, true
from hits

-- rule: 8873Q
-- type: query
-- years: 2022-23
-- level: details
-- fields: Assessments, AssessmentFactors, ReasonForClosure
-- message: Please check and either amend data or provide a reason: When there is only one assessment on
--   the episode and the factors code "21 No factors identified" has been used for the completed
--   assessment, the reason for closure 'RC8' or 'RC9' should be used.
-- checks: A CINdetails with exactly one assessment, completed (authorised) with factor 21, whose reason
--   for closure is not RC8 or RC9 (a blank reason counts).
-- note: The reference validator does not check that the assessment is completed, and matches "21"
--   anywhere in the factor text.
with single as (
    select return_id, episode, any_value(row_key) as a_key
    from cin_assessment
    where episode is not null
    group by all
    having count(*) = 1
)

select
    d.return_id,
    d.row_key::varchar as error_key,
    d.row_key,
    'ReasonForClosure' as field,
    d.reason_for_closure as value
from cin_details as d
join single as s using (return_id, episode)
join cin_assessment as a on a.row_key = s.a_key
where a.authorisation_date is not null
    and exists (select 1 from cin_factor as f where f.parent_key = a.row_key and f.factor = '21')
    and (d.reason_for_closure is null or d.reason_for_closure not in ('RC8', 'RC9'))
