-- A return interview whose missing episode does not exist in the missing episodes extract.
select
    r.rhi_id as record_id,
    'missing episode ' || r.missing_episode_id || ' does not exist' as detail
from staging.return_interviews as r
where r.missing_episode_id is not null
    and not exists (
        select 1 from staging.missing_episodes as m
        where m.missing_episode_id = r.missing_episode_id
    )
