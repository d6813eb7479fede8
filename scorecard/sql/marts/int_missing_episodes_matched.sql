-- int_missing_episodes_matched: every staged missing-episode record, with the episode it is part
-- of when several sources report the same episode (an intermediate model: the missing_episodes
-- and return_interviews marts read it; the rule is in docs/missing_matching.md).
--
-- Grain: missing_episode_id as staged (for an id repeated inside one file, its last row).
-- reported_by: who reported the record (the ledger's source: case_management, ssda903, police,
--   ...); source_rank: 1 the case-management system, 2 the SSDA903 return, 3 any other source.
-- episode_id: the id of the episode the record is part of (its own id when it is kept).
-- Match rule, with the tolerance from meta.parameters 'missing_match_tolerance_hours'
-- (default 24):
--   * records of one source are never matched with each other;
--   * the gap between two records of the same child is the time between their starts, where a
--     start at exactly 00:00 means "some time that day" (the 903 and many forms hold only a
--     date), so the gap is measured to the nearest moment of that day;
--   * rank by rank (2, then 3), each record goes to its nearest kept record of a higher rank
--     within the tolerance (ties: the earlier start, then the smaller id); a kept record takes
--     at most one record from each source, the nearest (ties: the smaller id); a record that
--     is not taken is kept as an episode of its own.

with

source as not materialized (

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

ledger as (

    select load_id, source as reported_by
    from meta.loads

),

tolerance as (

    select
        coalesce(
            max(try_cast(value as double)) filter (where name = 'missing_match_tolerance_hours'),
            24.0
        ) * 3600 as seconds
    from meta.parameters

),

records as (

    select
        latest.*,
        coalesce(ledger.reported_by, 'case_management') as reported_by,
        case coalesce(ledger.reported_by, 'case_management')
            when 'case_management' then 1
            when 'ssda903' then 2
            else 3
        end as source_rank,
        epoch(latest.missing_start_datetime) as start_from,
        epoch(latest.missing_start_datetime)
        + case
            when cast(latest.missing_start_datetime as time) = time '00:00:00' then 86399.999999
            else 0
        end as start_to
    from latest
    left join ledger on ledger.load_id = latest.load_id

),

candidates_2 as (

    -- rank 2 records and the rank 1 records of the same child within the tolerance
    select
        r.missing_episode_id,
        r.reported_by,
        k.missing_episode_id as kept_id,
        k.missing_start_datetime as kept_start,
        greatest(0, r.start_from - k.start_to, k.start_from - r.start_to) as gap
    from records as r
    inner join records as k
        on k.child_id = r.child_id
        and k.source_rank = 1
    cross join tolerance
    where r.source_rank = 2
        and greatest(0, r.start_from - k.start_to, k.start_from - r.start_to) <= tolerance.seconds

),

matched_2 as (

    -- each record's nearest kept record, then each kept record's nearest record per source
    select missing_episode_id, kept_id
    from (
        select *
        from candidates_2
        qualify row_number() over (
            partition by missing_episode_id order by gap, kept_start, kept_id
        ) = 1
    )
    qualify row_number() over (
        partition by kept_id, reported_by order by gap, missing_episode_id
    ) = 1

),

kept_2 as (

    -- the kept records after rank 2: every rank 1 record, and rank 2 records not matched
    select records.*
    from records
    anti join matched_2 on matched_2.missing_episode_id = records.missing_episode_id
    where records.source_rank <= 2

),

candidates_3 as (

    select
        r.missing_episode_id,
        r.reported_by,
        k.missing_episode_id as kept_id,
        k.missing_start_datetime as kept_start,
        greatest(0, r.start_from - k.start_to, k.start_from - r.start_to) as gap
    from records as r
    inner join kept_2 as k
        on k.child_id = r.child_id
    cross join tolerance
    where r.source_rank = 3
        and greatest(0, r.start_from - k.start_to, k.start_from - r.start_to) <= tolerance.seconds

),

matched_3 as (

    select missing_episode_id, kept_id
    from (
        select *
        from candidates_3
        qualify row_number() over (
            partition by missing_episode_id order by gap, kept_start, kept_id
        ) = 1
    )
    qualify row_number() over (
        partition by kept_id, reported_by order by gap, missing_episode_id
    ) = 1

),

matches as (

    select * from matched_2
    union all
    select * from matched_3

),

final as (

    select
        records.missing_episode_id,
        coalesce(matches.kept_id, records.missing_episode_id) as episode_id,
        matches.kept_id is null as is_kept,
        records.reported_by,
        records.source_rank,
        records.child_id,
        records.missing_start_datetime,
        records.missing_end_datetime,
        records.missing_type,
        records.looked_after
    from records
    left join matches on matches.missing_episode_id = records.missing_episode_id

)

select * from final
