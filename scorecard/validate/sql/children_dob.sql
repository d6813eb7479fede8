-- Dates of birth that cannot be right: on or before the date floor, a placeholder (such as
-- 1901-01-01 or 2099-12-31), or after the extract date. The date itself is never written out
-- (it is personal data). Parameters: $extract_date, $date_floor, $placeholder_dates.
select
    child_id as record_id,
    case
        when date_of_birth > $extract_date then 'date of birth is after the extract date'
        when date_of_birth <= $date_floor then 'date of birth is on or before the date floor'
        else 'date of birth is a placeholder date'
    end as detail
from staging.children
where date_of_birth > $extract_date
    or date_of_birth <= $date_floor
    or list_contains(cast($placeholder_dates as date[]), date_of_birth)
