-- A return interview with a completion time but recorded as not accepted: contradictory.
select
    rhi_id as record_id,
    'completed ' || strftime(rhi_completed_datetime, '%Y-%m-%d %H:%M') || ' but rhi_accepted = N' as detail
from staging.return_interviews
where rhi_completed_datetime is not null
    and rhi_accepted = false
