-- staging.children: the children extract typed (see scorecard/sql/macros.sql).
-- One row per child_id version: a later file supersedes an earlier one for the same id,
-- repeats inside one file are kept so validation can see them. Quarantined rows and loads
-- that were superseded are excluded; a quarantined latest version hides the older ones.
-- child_id (and children.legacy_id) is already pseudonymised by the loader.
with source as not materialized (
    select *
    from raw.children
    where load_id in (select load_id from meta.loads where status = 'loaded')
),

latest as (
    -- the rows of the latest load holding each child_id: no later load has the same one
    -- (an anti-join; with a single load of the table there is nothing to compare)
    select *
    from source as s
    where not exists (
        select 1 from source as later
        where sc_text(later.child_id) is not distinct from sc_text(s.child_id)
            and later.load_id > s.load_id
    )
),

renamed as (
    select
        -- identifiers
        sc_text(child_id) as child_id,
        -- dates and times
        sc_date(date_of_birth) as date_of_birth,
        sc_date(expected_date_of_birth) as expected_date_of_birth,
        sc_date(date_of_death) as date_of_death,
        -- codes, flags and text
        sc_code(sex) as sex,
        sc_code(ethnicity) as ethnicity,
        sc_text(upn) as upn,
        sc_text(former_upn) as former_upn,
        sc_code(upn_unknown) as upn_unknown,
        sc_code_list(disabilities) as disabilities,
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
