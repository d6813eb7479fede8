-- DfE CIN census rules 8820 (CIN episodes) / 8940 (CP plans): one child cannot have two
-- episodes (plans) open at the same time. The episode that starts while an earlier one is
-- still open is flagged; with {same_day} true, also one starting on the day an earlier one
-- ended (8940: a CP plan starting the day the previous ended overlaps it; 8820 allows a CIN
-- referral on the day the previous episode closed). Placeholders (schema identifiers and the
-- literal true/false only): {table}, {id}, {start}, {end}, {same_day}.
with ordered as (
    select
        {id} as record_id,
        child_id,
        {start} as start_date,
        {end} as end_date,
        lag({id}) over w as previous_id,
        max(coalesce({end}, date '9999-12-31')) over (
            w rows between unbounded preceding and 1 preceding
        ) as previous_end
    from staging.{table}
    where child_id is not null and {start} is not null
    window w as (partition by child_id order by {start}, {id})
)

select
    record_id,
    'starts while an earlier one for the same child is still open'
        || case when previous_end = date '9999-12-31' then ' (the earlier one has no end date)'
                when start_date = previous_end then ' (it starts on the day the earlier one ended)'
                else '' end as detail
from ordered
where previous_end is not null
    and (start_date < previous_end or ({same_day} and start_date = previous_end))
