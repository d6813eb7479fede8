-- contacts: one row per contact, with whether it was concluded within 24 hours.
--
-- Grain: contact_id (for an id repeated inside one file, its last row).
-- is_concluded_24h: decision_datetime is at most 24 hours after contact_datetime
--   (decision_datetime - contact_datetime <= 24 hours, read literally: a decision recorded
--   before the contact counts, and validation flags it). No decision counts as not concluded.
-- contact_date puts the contact in a period.
-- record-local: contacts.contact_id
--   (leaving records of staging contacts out leaves out exactly the rows of their ids and
--   changes no other row: the validation impact relies on it; tests/test_delta.py checks it)

with

source as not materialized (

    select * from {{ source('contacts') }}

),

repeated as (

    -- ids repeated inside one file (staging keeps only the latest file for an id)
    select contact_id, max(source_row) as last_row
    from source
    group by contact_id
    having count(*) > 1

),

latest as (

    -- one row per id: the last row of a repeated id
    select source.*
    from source
    anti join repeated
        on repeated.contact_id = source.contact_id
        and source.source_row < repeated.last_row

),

final as (

    select
        contact_id,
        child_id,
        contact_datetime,
        cast(contact_datetime as date) as contact_date,
        contact_source,
        decision_datetime,
        contact_outcome,
        date_diff('second', contact_datetime, decision_datetime) / 3600.0 as hours_to_decision,
        coalesce(decision_datetime <= contact_datetime + interval 24 hours, false)
            as is_concluded_24h
    from latest

)

select * from final
