-- missing_episodes: one row per missing (or away) episode, however many sources reported it.
--
-- Grain: episode_id of int_missing_episodes_matched (records that several sources reported for
-- the same episode are one row, under the id of the record kept: see that model).
-- The kept record's values are used; a value it leaves blank is taken from the other reports in
-- rank order (e.g. the 903's looked-after flag, a police return time).
-- missing_start_date puts the episode in a period; return_datetime is missing_end_datetime
-- (blank: not yet returned). reported_by lists the sources that reported it; reports is how
-- many records did.

with

source as (

    select * from {{ ref('int_missing_episodes_matched') }}

),

episodes as (

    select
        episode_id,
        first(child_id order by is_kept desc, source_rank, reported_by, missing_episode_id)
            as child_id,
        first(missing_start_datetime order by is_kept desc, source_rank, reported_by, missing_episode_id)
            as missing_start_datetime,
        first(missing_end_datetime order by is_kept desc, source_rank, reported_by, missing_episode_id)
            filter (where missing_end_datetime is not null) as missing_end_datetime,
        first(missing_type order by is_kept desc, source_rank, reported_by, missing_episode_id)
            filter (where missing_type is not null) as missing_type,
        first(looked_after order by is_kept desc, source_rank, reported_by, missing_episode_id)
            filter (where looked_after is not null) as looked_after,
        string_agg(distinct reported_by, ', ' order by reported_by) as reported_by,
        count(*) as reports
    from source
    group by episode_id

),

final as (

    select
        episode_id as missing_episode_id,
        child_id,
        missing_start_datetime,
        cast(missing_start_datetime as date) as missing_start_date,
        missing_end_datetime as return_datetime,
        cast(missing_end_datetime as date) as return_date,
        missing_type,
        looked_after,
        reported_by,
        reports
    from episodes

)

select * from final
