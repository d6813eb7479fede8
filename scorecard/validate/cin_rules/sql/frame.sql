-- The census frame: the staged tables reshaped as the DfE CIN census return(s) the rules check.
-- One block per frame table (-- name:), filled in this order. Every block selects the frame
-- table's columns except row_key (numbered by the engine). Sources are the _cin_stg_* views
-- (staging.<table> with every column the rules read, null where the table lacks it).
-- return_id: the census file's return (_cin_files), else 0, the period return, which holds
-- the records active in its census year: starting on or before the reference date and not
-- ended before the collection start (cin_member), as they stood on the reference date: a
-- later date (a closure, an authorisation, a conference, an end, a death) is not yet known
-- and reads as blank (cin_as_at).

-- name: cin_details
-- One row per CINdetails: every CIN episode, and in the period return also each referral
-- with no further action that has no episode and was not made while the child's case was open
-- (the census holds those as CINdetails too).
-- referral_linked: the referral (its source) is known; outside a census file an episode may
-- have no referral in the extracts.
with ref as (
    select referral_id, min(referral_date) as referral_date, min(referral_source) as referral_source,
           bool_or(referral_nfa) as referral_nfa
    from _cin_stg_referrals
    group by referral_id
),

-- an episode with no referral id is matched to its child's referral on its start date (only
-- the referrals on such a day are grouped: most episodes name their referral)
ref_by_day as (
    select r.child_id, r.referral_date, min(r.referral_id) as referral_id
    from _cin_stg_referrals as r
    semi join (select child_id, cin_start_date from _cin_stg_cin_episodes where referral_id is null) as e
        on e.child_id = r.child_id and e.cin_start_date = r.referral_date
    group by all
),

episodes as (
    select
        coalesce(f.return_id, 0) as return_id,
        'cin_episodes' as src_table,
        e.cin_episode_id as record_id,
        e.child_id,
        e.cin_episode_id as episode,
        coalesce(r.referral_date, e.cin_start_date) as referral_date,
        r.referral_source,
        f.return_id is not null or r.referral_id is not null as referral_linked,
        e.primary_need_code as primary_need,
        e.cin_closure_date as closure_date,
        e.reason_for_closure,
        e.icpc_date,
        case when f.return_id is null then coalesce(e.referral_nfa, r.referral_nfa, false)
             else coalesce(e.referral_nfa, r.referral_nfa) end as referral_nfa,
        e.source_file,
        e.source_row
    from _cin_stg_cin_episodes as e
    left join ref_by_day as b on e.referral_id is null and b.child_id = e.child_id and b.referral_date = e.cin_start_date
    left join ref as r on r.referral_id = coalesce(e.referral_id, b.referral_id)
    left join _cin_files as f on f.source_file = e.source_file
),

nfa_referrals as (
    select
        0 as return_id,
        'referrals' as src_table,
        r.referral_id as record_id,
        r.child_id,
        null::varchar as episode,
        r.referral_date,
        r.referral_source,
        true as referral_linked,
        null::varchar as primary_need,
        null::date as closure_date,
        null::varchar as reason_for_closure,
        null::date as icpc_date,
        r.referral_nfa,
        r.source_file,
        r.source_row
    from _cin_stg_referrals as r
    where r.referral_nfa
        and r.source_file not in (select source_file from _cin_files)
        and r.referral_id not in (select referral_id from _cin_stg_cin_episodes where referral_id is not null)
        -- a referral made while the child's case is open belongs to that case's block: the
        -- census holds it there, not as a CINdetails of its own
        and not exists (select 1 from _cin_stg_cin_episodes as e
                         where e.child_id = r.child_id and e.cin_start_date <= r.referral_date
                             and (e.cin_closure_date is null or r.referral_date < e.cin_closure_date))
)

select
    x.* replace (
        cin_as_at(x.closure_date, x.return_id, t.rd) as closure_date,
        case when x.return_id = 0 and x.closure_date > t.rd then null
             else x.reason_for_closure end as reason_for_closure,
        cin_as_at(x.icpc_date, x.return_id, t.rd) as icpc_date
    )
from (select * from episodes union all by name select * from nfa_referrals) as x
join cin_return as t on t.return_id = x.return_id
where x.return_id > 0
    or (x.src_table = 'cin_episodes' and cin_member(x.referral_date, x.closure_date, t.cs, t.rd))
    or (x.src_table = 'referrals' and x.referral_date between t.cs and t.rd)

-- name: cin_child
-- One row per child record: a census file's Child blocks; in the period return, the children
-- with a CINdetails in it.
select
    coalesce(f.return_id, 0) as return_id,
    'children' as src_table,
    c.child_id as record_id,
    c.child_id,
    c.upn,
    c.former_upn,
    c.upn_unknown,
    c.date_of_birth as birth_date,
    c.expected_date_of_birth as expected_birth_date,
    c.sex,
    c.ethnicity,
    cin_as_at(c.date_of_death, t.return_id, t.rd) as death_date,
    c.child_id_length as id_length,
    c.child_id_alphanumeric as id_alphanumeric,
    cin_codes(c.disabilities) as disability_codes,
    c.source_file,
    c.source_row
from _cin_stg_children as c
left join _cin_files as f on f.source_file = c.source_file
join cin_return as t on t.return_id = coalesce(f.return_id, 0)
where f.return_id is not null
    or c.child_id in (select child_id from cin_details where return_id = 0)

-- name: cin_disability
-- One row per Disability code of a child (children.disabilities is a list of codes).
select
    c.return_id,
    c.src_table,
    c.record_id,
    c.child_id,
    c.row_key as parent_key,
    unnest(generate_series(1, len(c.disability_codes))) as position,
    upper(unnest(c.disability_codes)) as disability,
    c.source_file,
    c.source_row
from cin_child as c

-- name: cin_assessment
-- One row per assessment, linked to its CINdetails (its own episode id, else its referral's episode).
select
    coalesce(f.return_id, 0) as return_id,
    'assessments' as src_table,
    a.assessment_id as record_id,
    a.child_id,
    coalesce(a.cin_episode_id, e.episode) as episode,
    a.assessment_start_date as start_date,
    cin_as_at(a.assessment_authorised_date, t.return_id, t.rd) as authorisation_date,
    -- factors are recorded when an assessment is completed: not yet, as at RD, if it was later
    case when t.return_id > 0 or cin_as_at(a.assessment_authorised_date, t.return_id, t.rd) is not null
         then cin_codes(a.assessment_factors) else [] end as factor_codes,
    a.source_file,
    a.source_row
from _cin_stg_assessments as a
left join _cin_files as f on f.source_file = a.source_file
join cin_return as t on t.return_id = coalesce(f.return_id, 0)
left join (select referral_id, min(cin_episode_id) as episode from _cin_stg_cin_episodes
           where referral_id is not null group by referral_id) as e on e.referral_id = a.referral_id
where f.return_id is not null
    or cin_member(a.assessment_start_date, a.assessment_authorised_date, t.cs, t.rd)

-- name: cin_factor
-- One row per AssessmentFactors code of an assessment.
select
    a.return_id,
    a.src_table,
    a.record_id,
    a.child_id,
    a.row_key as parent_key,
    unnest(generate_series(1, len(a.factor_codes))) as position,
    a.episode,
    upper(unnest(a.factor_codes)) as factor,
    a.source_file,
    a.source_row
from cin_assessment as a

-- name: cin_plan
-- One row per CIN plan (CINPlanDates).
select
    coalesce(f.return_id, 0) as return_id,
    'cin_plans' as src_table,
    p.cin_plan_id as record_id,
    p.child_id,
    p.cin_episode_id as episode,
    p.cin_plan_start_date as start_date,
    cin_as_at(p.cin_plan_end_date, t.return_id, t.rd) as end_date,
    p.source_file,
    p.source_row
from _cin_stg_cin_plans as p
left join _cin_files as f on f.source_file = p.source_file
join cin_return as t on t.return_id = coalesce(f.return_id, 0)
where f.return_id is not null or cin_member(p.cin_plan_start_date, p.cin_plan_end_date, t.cs, t.rd)

-- name: cin_s47
-- One row per section 47 enquiry (Section47). In the period return an enquiry is active until
-- its conference, or for good when it has neither a conference nor "not required".
select
    coalesce(f.return_id, 0) as return_id,
    's47_enquiries' as src_table,
    s.s47_id as record_id,
    s.child_id,
    s.cin_episode_id as episode,
    s.s47_start_date as start_date,
    s.icpc_target_date,
    cin_as_at(s.icpc_date, t.return_id, t.rd) as icpc_date,
    case when t.return_id = 0 and s.icpc_date > t.rd then false else s.icpc_not_required end
        as icpc_not_required,
    s.source_file,
    s.source_row
from _cin_stg_s47_enquiries as s
left join _cin_files as f on f.source_file = s.source_file
join cin_return as t on t.return_id = coalesce(f.return_id, 0)
where f.return_id is not null
    or cin_member(s.s47_start_date,
                  case when s.icpc_date is null and s.icpc_not_required then s.s47_start_date
                       else s.icpc_date end, t.cs, t.rd)

-- name: cin_cpp
-- One row per child protection plan (ChildProtectionPlans). Outside a census file a blank
-- latest category means "same as the initial one" (extracts.md).
select
    coalesce(f.return_id, 0) as return_id,
    'cp_plans' as src_table,
    p.cp_plan_id as record_id,
    p.child_id,
    p.cin_episode_id as episode,
    p.cp_plan_start_date as start_date,
    cin_as_at(p.cp_plan_end_date, t.return_id, t.rd) as end_date,
    p.initial_category,
    case when f.return_id is null then coalesce(p.latest_category, p.initial_category)
         else p.latest_category end as latest_category,
    p.number_of_previous_cpp as previous_cpp,
    p.source_file,
    p.source_row
from _cin_stg_cp_plans as p
left join _cin_files as f on f.source_file = p.source_file
join cin_return as t on t.return_id = coalesce(f.return_id, 0)
where f.return_id is not null or cin_member(p.cp_plan_start_date, p.cp_plan_end_date, t.cs, t.rd)

-- name: cin_review
-- One row per CP plan review date, attached to its plan in the same return.
select
    p.return_id,
    'cp_reviews' as src_table,
    r.cp_review_id as record_id,
    r.child_id,
    p.row_key as parent_key,
    p.episode,
    r.cp_plan_id as cp_plan,
    r.cp_review_date as review_date,
    r.source_file,
    r.source_row
from _cin_stg_cp_reviews as r
left join _cin_files as f on f.source_file = r.source_file
join cin_cpp as p on p.record_id = r.cp_plan_id and p.return_id = coalesce(f.return_id, 0)
join cin_return as t on t.return_id = p.return_id
where f.return_id is not null or r.cp_review_date is null or r.cp_review_date <= t.rd
