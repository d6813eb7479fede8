-- return_interviews: one row per return home interview linked to its missing episode, with
-- the child's return time and whether the interview was completed within 72 hours of it.
--
-- Grain: rhi_id (the latest version of a repeated id: highest load_id, then source_row).
-- Only interviews whose missing_episode_id matches an episode are kept (an orphan has no
-- return to count from; validation reports orphans). return_date puts a row in a period.
-- is_offered: rhi_offered_date is present.
-- is_accepted: offered, and rhi_accepted = Y ("as rhi_offered, with rhi_accepted = Y").
-- is_completed_72h: rhi_completed_datetime is at most 72 hours after return_datetime
--   (exactly 72 hours counts; read literally, as for contacts, so a completion recorded before
--   the return counts and validation flags it), whatever rhi_accepted says.

with

source as (

    select *
    from {{ source('return_interviews') }}
    qualify row_number() over (
        partition by rhi_id order by load_id desc nulls last, source_row desc nulls last
    ) = 1

),

episodes as (

    select missing_episode_id, child_id as episode_child_id, return_datetime, return_date
    from {{ ref('missing_episodes') }}

),

final as (

    select
        source.rhi_id,
        source.missing_episode_id,
        source.child_id,
        episodes.episode_child_id,
        episodes.return_datetime,
        episodes.return_date,
        source.rhi_offered_date,
        source.rhi_accepted,
        source.rhi_completed_datetime,
        date_diff('second', episodes.return_datetime, source.rhi_completed_datetime) / 3600.0
            as hours_to_completion,
        source.rhi_offered_date is not null as is_offered,
        source.rhi_offered_date is not null and coalesce(source.rhi_accepted, false)
            as is_accepted,
        coalesce(
            source.rhi_completed_datetime <= episodes.return_datetime + interval 72 hours, false
        ) as is_completed_72h
    from source
    inner join episodes on episodes.missing_episode_id = source.missing_episode_id

)

select * from final
