-- Dates of birth that cannot be right: a placeholder (1900-01-01 and the like) or after the
-- extract date. The date itself is never written out (it is personal data). Parameter: $extract_date.
select
    child_id as record_id,
    case
        when date_of_birth > $extract_date then 'date of birth is after the extract date'
        else 'date of birth is a placeholder date'
    end as detail
from staging.children
where date_of_birth > $extract_date
    or date_of_birth < date '1901-01-02'
    or date_of_birth >= date '2099-12-31'
