-- A code the new system discontinued at the cut-over, still recorded on a record dated on or
-- after it (a mapping that no longer applies). Placeholders (schema identifiers only):
-- {table}, {id}, {date}, {column}. Parameters: $cutover, $codes (the discontinued codes).
select
    {id} as record_id,
    '{column} ' || {column} || ' on a record dated after the cut-over; the new system discontinued it' as detail
from staging.{table}
where {date} >= $cutover
    and list_contains($codes, {column})
