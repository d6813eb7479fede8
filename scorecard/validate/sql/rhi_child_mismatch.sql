-- A return interview recorded against a different child from its missing episode's.
select distinct
    r.rhi_id as record_id,
    'child differs from the child of missing episode ' || r.missing_episode_id as detail
from staging.return_interviews as r
join staging.missing_episodes as m
    on m.missing_episode_id = r.missing_episode_id
where r.child_id is distinct from m.child_id
    and r.child_id is not null and m.child_id is not null
