-- staging.cin_plans: the cin plans extract typed (see scorecard/sql/macros.sql).
-- One row per cin_plan_id version: a later file supersedes an earlier one for the same id,
-- repeats inside one file are kept so validation can see them. Quarantined rows and loads
-- that were superseded are excluded; a quarantined latest version hides the older ones.
-- child_id (and children.legacy_id) is already pseudonymised by the loader.
with source as not materialized (
    select *
    from raw.cin_plans
    where load_id in (select load_id from meta.loads where status = 'loaded')
),

latest as (
    -- the rows of the latest load holding each cin_plan_id: no later load has the same one
    -- (an anti-join; with a single load of the table there is nothing to compare)
    select *
    from source as s
    where not exists (
        select 1 from source as later
        where sc_text(later.cin_plan_id) is not distinct from sc_text(s.cin_plan_id)
            and later.load_id > s.load_id
    )
),

renamed as (
    select
        -- identifiers
        sc_text(cin_plan_id) as cin_plan_id,
        sc_text(child_id) as child_id,
        sc_text(cin_episode_id) as cin_episode_id,
        -- dates and times
        sc_date(cin_plan_start_date) as cin_plan_start_date,
        sc_date(cin_plan_end_date) as cin_plan_end_date,
        -- migration
        sc_code(source_system) as source_system,
        sc_text(legacy_id) as legacy_id,
        -- provenance
        load_id,
        source_file,
        source_row
    from latest
    -- the latest version decides, even when it was quarantined: a rejected correction must
    -- not silently bring back the older version of the record
    where not _rejected
)

select * from renamed
