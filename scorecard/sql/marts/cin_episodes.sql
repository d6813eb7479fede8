-- cin_episodes: one row per child in need episode.
--
-- Grain: cin_episode_id (for an id repeated inside one file, its last row).
-- An episode is open at date D when cin_start_date <= D and (cin_closure_date is blank or
-- cin_closure_date > D): an episode closing on the last day of a month is not open at that
-- month end. primary_need_code is the breakdown of cin_by_primary_need.
-- duration_band: the DfE band of the episode's length, referral (cin_start_date) to closure
-- (sc_cin_duration_band; null while open), the breakdown of cin_ended_by_duration.
-- A CIN census block of a referral with no further action (referral_nfa true) is staged as a
-- cin_episodes row (the DfE rules read it) but is not an episode of need: the DfE's CIN counts
-- leave it out, and so does this mart. A blank referral_nfa counts as not NFA.
-- record-local: cin_episodes.cin_episode_id
--   (leaving records of staging cin_episodes out leaves out exactly the rows of their ids and
--   changes no other row: the validation impact relies on it; tests/test_delta.py checks it)

with

source as not materialized (

    select * from {{ source('cin_episodes') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select cin_episode_id, max(source_row) as last_row
    from source
    group by cin_episode_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.cin_episode_id = source.cin_episode_id
        and source.source_row < repeated.last_row

),

final as (

    select
        cin_episode_id,
        child_id,
        referral_id,
        cin_start_date,
        cin_closure_date,
        reason_for_closure,
        coalesce(primary_need_code, 'Unknown') as primary_need_code,
        sc_cin_duration_band(cin_start_date, cin_closure_date) as duration_band
    from latest
    where not coalesce(referral_nfa, false)

)

select * from final
