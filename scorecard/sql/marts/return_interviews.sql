-- return_interviews: one row per return home interview linked to its missing episode, with
-- the child's return time and whether the interview was completed within 72 hours of it.
--
-- Grain: rhi_id (for an id repeated inside one file, its last row).
-- Only interviews whose missing_episode_id matches an episode record are kept (an orphan has no
-- return to count from; validation reports orphans). An interview linked to a record that was
-- matched to another source's record follows the episode kept (missing_episode_id is the kept
-- episode's id; recorded_episode_id the id the interview was recorded against). An interview
-- with no dates at all (e.g. one made from the SSD's offered/accepted flags) gives way to a dated
-- interview of the same episode from another extract. return_date puts a row in a period.
-- is_offered: rhi_offered_date is present.
-- is_accepted: offered, and rhi_accepted = Y ("as rhi_offered, with rhi_accepted = Y").
-- is_completed_72h: rhi_completed_datetime is at most 72 hours after return_datetime
--   (exactly 72 hours counts; read literally, as for contacts, so a completion recorded before
--   the return counts and validation flags it), whatever rhi_accepted says.

with

source as not materialized (

    select * from {{ source('return_interviews') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select rhi_id, max(source_row) as last_row
    from source
    group by rhi_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.rhi_id = source.rhi_id
        and source.source_row < repeated.last_row

),

matched as (

    select missing_episode_id, episode_id
    from {{ ref('int_missing_episodes_matched') }}

),

linked as (

    select
        latest.*,
        matched.episode_id,
        latest.rhi_offered_date is not null or latest.rhi_completed_datetime is not null as is_dated
    from latest
    inner join matched on matched.missing_episode_id = latest.missing_episode_id

),

kept as (

    -- an undated interview gives way to a dated one of the same episode
    select linked.*
    from linked
    where linked.is_dated
        or not exists (
            select 1 from linked as other
            where other.episode_id = linked.episode_id and other.is_dated
        )

),

episodes as (

    select missing_episode_id, child_id as episode_child_id, return_datetime, return_date
    from {{ ref('missing_episodes') }}

),

final as (

    select
        latest.rhi_id,
        episodes.missing_episode_id,
        latest.child_id,
        episodes.episode_child_id,
        episodes.return_datetime,
        episodes.return_date,
        latest.rhi_offered_date,
        latest.rhi_accepted,
        latest.rhi_completed_datetime,
        date_diff('second', episodes.return_datetime, latest.rhi_completed_datetime) / 3600.0
            as hours_to_completion,
        latest.rhi_offered_date is not null as is_offered,
        latest.rhi_offered_date is not null and coalesce(latest.rhi_accepted, false)
            as is_accepted,
        coalesce(
            latest.rhi_completed_datetime <= episodes.return_datetime + interval 72 hours, false
        ) as is_completed_72h,
        latest.missing_episode_id as recorded_episode_id
    from kept as latest
    inner join episodes on episodes.missing_episode_id = latest.episode_id

)

select * from final
