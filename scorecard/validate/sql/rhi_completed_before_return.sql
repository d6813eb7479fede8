-- A return interview completed before the child returned (missing_end_datetime): impossible.
select distinct
    r.rhi_id as record_id,
    'completed ' || strftime(r.rhi_completed_datetime, '%Y-%m-%d %H:%M') || ', before the return at '
        || strftime(m.missing_end_datetime, '%Y-%m-%d %H:%M') as detail
from staging.return_interviews as r
join staging.missing_episodes as m
    on m.missing_episode_id = r.missing_episode_id
where r.rhi_completed_datetime < m.missing_end_datetime
