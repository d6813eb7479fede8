-- cin_episodes: one row per child in need episode.
--
-- Grain: cin_episode_id (the latest version of a repeated id: highest load_id, then source_row).
-- An episode is open at date D when cin_start_date <= D and (cin_closure_date is blank or
-- cin_closure_date > D): an episode closing on the last day of a month is not open at that
-- month end. primary_need_code is the breakdown of cin_by_primary_need.

with

source as (

    select *
    from {{ source('cin_episodes') }}
    qualify row_number() over (
        partition by cin_episode_id order by load_id desc nulls last, source_row desc nulls last
    ) = 1

),

final as (

    select
        cin_episode_id,
        child_id,
        referral_id,
        cin_start_date,
        cin_closure_date,
        reason_for_closure,
        coalesce(primary_need_code, 'Unknown') as primary_need_code
    from source

)

select * from final
