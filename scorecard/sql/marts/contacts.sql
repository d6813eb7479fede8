-- contacts: one row per contact, with whether it was concluded within 24 hours.
--
-- Grain: contact_id (the latest version of a repeated id: highest load_id, then source_row).
-- is_concluded_24h: decision_datetime is at most 24 hours after contact_datetime
--   (decision_datetime - contact_datetime <= 24 hours, read literally: a decision recorded
--   before the contact counts, and validation flags it). No decision counts as not concluded.
-- contact_date puts the contact in a period.

with

source as (

    select *
    from {{ source('contacts') }}
    qualify row_number() over (
        partition by contact_id order by load_id desc nulls last, source_row desc nulls last
    ) = 1

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
    from source

)

select * from final
