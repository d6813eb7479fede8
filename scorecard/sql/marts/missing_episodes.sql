-- missing_episodes: one row per missing (or away) episode.
--
-- Grain: missing_episode_id (for an id repeated inside one file, its last row).
-- missing_start_date puts the episode in a period; return_datetime is missing_end_datetime
-- (blank: not yet returned).

with

source as (

    select * from {{ source('missing_episodes') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select missing_episode_id, max(source_row) as last_row
    from source
    group by missing_episode_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.missing_episode_id = source.missing_episode_id
        and source.source_row < repeated.last_row

),

final as (

    select
        missing_episode_id,
        child_id,
        missing_start_datetime,
        cast(missing_start_datetime as date) as missing_start_date,
        missing_end_datetime as return_datetime,
        cast(missing_end_datetime as date) as return_date,
        missing_type,
        looked_after
    from latest

)

select * from final
