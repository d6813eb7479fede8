-- Rules about assessments (Assessments) and the factors identified at assessment.
-- Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 1103
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentActualStartDate, CINreferralDate
-- message: The assessment start date cannot be before the referral date
-- checks: An assessment starting before the referral date of its CINdetails (the same day is allowed).
with hits as (
    select a.return_id, a.row_key as a_key, a.start_date, d.row_key as d_key, d.referral_date
    from cin_assessment as a join cin_details as d using (return_id, episode)
    where a.start_date < d.referral_date
)

select return_id, a_key::varchar as error_key, a_key as row_key, 'AssessmentActualStartDate' as field,
       start_date::varchar as value, false as context
from hits
union all
select return_id, a_key::varchar, d_key, 'CINreferralDate', referral_date::varchar, true
from hits

-- rule: 8608
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentActualStartDate, AssessmentAuthorisationDate
-- message: Assessment Start Date cannot be later than its End Date
-- checks: An assessment authorised before it started (the same day is allowed).
select return_id, row_key::varchar as error_key, row_key, 'AssessmentActualStartDate' as field,
       start_date::varchar as value
from cin_assessment
where start_date > authorisation_date
union all
select return_id, row_key::varchar, row_key, 'AssessmentAuthorisationDate', authorisation_date::varchar
from cin_assessment
where start_date > authorisation_date

-- rule: 8614
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentAuthorisationDate, AssessmentFactors
-- message: Parental or child factors at assessment should only be present for a completed assessment.
-- checks: An assessment with factors but no authorisation date.
-- needs: AssessmentAuthorisationDate
-- note: The reference validator stops with an error on census data (a list in its error id) and
--   reports nothing.
select
    a.return_id,
    a.row_key::varchar as error_key,
    a.row_key,
    'AssessmentFactors' as field,
    (select string_agg(f.factor, ' ' order by f.row_key) from cin_factor as f where f.parent_key = a.row_key) as value
from cin_assessment as a
where a.authorisation_date is null
    and exists (select 1 from cin_factor as f where f.parent_key = a.row_key)

-- rule: 8670Q
-- type: query
-- years: 2022-23
-- level: assessment
-- fields: AssessmentActualStartDate, AssessmentAuthorisationDate, ReferenceDate
-- message: Please check and either amend data or provide a reason: Assessment started more than 45
--   working days before the end of the census year. However, there is no Assessment end date.
-- checks: An assessment with no authorisation date that started more than 45 working days before the
--   reference date (working days counted after the start day, as for the 45-working-day metric).
-- note: The reference validator counts the start day too, so its cut-off is one working day later
--   (30 January 2023 for 2022-23, against 27 January here).
-- needs: AssessmentAuthorisationDate
select
    a.return_id,
    a.row_key::varchar as error_key,
    a.row_key,
    'AssessmentActualStartDate' as field,
    a.start_date::varchar as value
from cin_assessment as a join cin_return as r using (return_id)
where a.authorisation_date is null and a.start_date < r.wd45_cutoff

-- rule: 8696
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentAuthorisationDate, ReferenceDate
-- message: Assessment end date must fall within the census year
-- checks: An authorisation date outside the census year.
select
    a.return_id,
    a.row_key::varchar as error_key,
    a.row_key,
    'AssessmentAuthorisationDate' as field,
    a.authorisation_date::varchar as value
from cin_assessment as a join cin_return as r using (return_id)
where a.authorisation_date not between r.cs and r.rd

-- rule: 8736
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentActualStartDate, AssessmentAuthorisationDate, ReferenceDate
-- message: For an Assessment that has not been completed, the start date must fall within the census year
-- checks: An assessment with no authorisation date whose start date is blank or outside the census year.
-- needs: AssessmentAuthorisationDate
select
    a.return_id,
    a.row_key::varchar as error_key,
    a.row_key,
    'AssessmentActualStartDate' as field,
    a.start_date::varchar as value
from cin_assessment as a join cin_return as r using (return_id)
where a.authorisation_date is null
    and (a.start_date is null or a.start_date not between r.cs and r.rd)

-- rule: 8863Q
-- type: query
-- years: 2022-23
-- level: assessment
-- fields: AssessmentActualStartDate, AssessmentAuthorisationDate, ReferenceDate
-- message: An Assessment is shown as starting when there is another Assessment ongoing.
-- checks: In one CINdetails, an assessment starting on or after another's start and on or before its
--   authorisation (or the reference date, while it is open). The later one is flagged, the earlier
--   shown with it.
-- note: The reference validator skips two assessments with the same start and authorisation dates (a
--   duplicate); they overlap, so here they are flagged.
-- needs: AssessmentAuthorisationDate
with hits as (
    select a.return_id, a.row_key as a_key, a.start_date as a_start,
           b.row_key as b_key, b.start_date as b_start, b.authorisation_date as b_auth
    from cin_assessment as a
    join cin_assessment as b on b.return_id = a.return_id and b.episode = a.episode and b.row_key <> a.row_key
    join cin_return as r on r.return_id = a.return_id
    where b.start_date <= a.start_date and a.start_date <= coalesce(b.authorisation_date, r.rd)
)

select return_id, a_key || '-' || b_key as error_key, a_key as row_key, 'AssessmentActualStartDate' as field,
       a_start::varchar as value, false as context
from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'AssessmentActualStartDate', b_start::varchar, true from hits
union all
select return_id, a_key || '-' || b_key, b_key, 'AssessmentAuthorisationDate', b_auth::varchar, true from hits

-- rule: 8869
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentFactors
-- message: The assessment factors code "21" cannot be used in conjunction with any other assessment factors.
-- checks: An assessment with factor 21 (no factors identified) and another factor.
-- note: The reference validator never fires on a census file (it compares a list with a string).
select
    f.return_id,
    f.parent_key::varchar as error_key,
    f.row_key,
    'AssessmentFactors' as field,
    f.factor as value
from cin_factor as f
where f.factor = '21'
    and exists (select 1 from cin_factor as g where g.parent_key = f.parent_key and g.factor <> '21')

-- rule: 8896
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentAuthorisationDate
-- message: Within one CINDetails group there are 2 or more open Assessments groups
-- checks: More than one assessment with no authorisation date in one CINdetails: each open one is
--   flagged, linked as one error.
-- note: The reference validator flags every assessment of the CINdetails, completed ones too.
-- needs: AssessmentAuthorisationDate
select
    return_id,
    'open-' || min(row_key) over (partition by return_id, episode) as error_key,
    row_key,
    'AssessmentAuthorisationDate' as field,
    null as value
from cin_assessment
where authorisation_date is null and episode is not null
qualify count(*) over (partition by return_id, episode) > 1

-- rule: 8897Q
-- type: query
-- years: 2022-23
-- level: assessment
-- fields: AssessmentAuthorisationDate, AssessmentFactors, ReferenceDate
-- message: Parental or child factors at assessment information is missing from a completed assessment
-- checks: An assessment authorised on or after the collection start with no factors, or with
--   a factor that is not one of the 44 DfE codes.
-- note: The reference validator joins factors to assessments without the CINdetails, so factors of one
--   episode's assessment can satisfy another's.
-- needs: AssessmentFactors
with completed as (
    select a.*
    from cin_assessment as a join cin_return as r using (return_id)
    where a.authorisation_date >= r.cs
)

select a.return_id, a.row_key::varchar as error_key, a.row_key, 'AssessmentFactors' as field, null as value
from completed as a
where not exists (select 1 from cin_factor as f where f.parent_key = a.row_key)
union all
select f.return_id, f.parent_key::varchar, f.row_key, 'AssessmentFactors', f.factor
from completed as a join cin_factor as f on f.parent_key = a.row_key
where f.factor not in (
    '1A', '1B', '1C', '2A', '2B', '2C', '3A', '3B', '3C', '4A', '4B', '4C', '5A', '5B', '5C',
    '6A', '6B', '6C', '7A', '8B', '8C', '8D', '8E', '8F', '9A', '10A', '11A', '12A', '13A', '14A',
    '15A', '16A', '17A', '18A', '18B', '18C', '19A', '19B', '19C', '20', '21', '22A', '23A', '24A')

-- rule: 8898
-- type: error
-- years: 2022-23
-- level: assessment
-- fields: AssessmentFactors
-- message: The assessment has more than one parental or child factors with the same code
-- checks: The same factor code more than once on one assessment: every copy is flagged.
-- note: The reference validator stops with an error on census data and reports nothing.
select
    return_id,
    parent_key || '-' || factor as error_key,
    row_key,
    'AssessmentFactors' as field,
    factor as value
from cin_factor
qualify count(*) over (partition by parent_key, factor) > 1

-- rule: 8945Q
-- type: query
-- years: 2024-25
-- level: assessment
-- fields: AssessmentFactors
-- message: Please check and either amend data or provide a reason: the assessment factors code '18A'
--   should not be used ('18B' or '18C' should be used instead)
-- checks: An assessment with factor 18A.
-- note: The reference validator never fires on a census file (it compares a list with a string).
select return_id, row_key::varchar as error_key, row_key, 'AssessmentFactors' as field, factor as value
from cin_factor
where factor = '18A'

-- rule: 8950Q
-- type: query
-- years: 2024-25
-- level: assessment
-- fields: AssessmentFactors
-- message: Please check and either amend data or provide a reason: the assessment factors code '19A'
--   should not be used ('19B' or '19C' should be used instead)
-- checks: An assessment with factor 19A.
-- note: The reference validator never fires on a census file (it compares a list with a string).
select return_id, row_key::varchar as error_key, row_key, 'AssessmentFactors' as field, factor as value
from cin_factor
where factor = '19A'
