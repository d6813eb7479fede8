-- missing_episodes: one row per missing (or away) episode.
--
-- Grain: missing_episode_id (the latest version of a repeated id: highest load_id, then
-- source_row). missing_start_date puts the episode in a period; return_datetime is
-- missing_end_datetime (blank: not yet returned).

with

source as (

    select *
    from {{ source('missing_episodes') }}
    qualify row_number() over (
        partition by missing_episode_id
        order by load_id desc nulls last, source_row desc nulls last
    ) = 1

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
    from source

)

select * from final
