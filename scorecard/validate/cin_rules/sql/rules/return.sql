-- Rules about the whole return: each fails once per return, with no record id.
-- Frame tables: see scorecard/validate/cin_rules/frame.py. Columns returned by name:
-- return_id, error_key, row_key (null: the return), field, value.

-- rule: 100
-- type: error
-- years: 2022-23
-- level: return
-- table: census_header
-- fields: ReferenceDate, Year
-- message: Reference Date is incorrect
-- checks: The header's ReferenceDate is blank or is not 31 March of the header's Year.
-- note: Only census files have a header: the period return of other extracts is never checked.
select
    return_id,
    'header' as error_key,
    null::bigint as row_key,
    'ReferenceDate' as field,
    coalesce(header_reference_date::varchar, '') || ' (Year ' || coalesce(header_year::varchar, 'blank') || ')' as value
from cin_return
where kind = 'census'
    and (header_reference_date is null or header_year is null
         or header_reference_date <> make_date(header_year, 3, 31))

-- rule: 2883
-- type: error
-- years: 2022-23
-- level: return
-- table: cp_plans
-- fields: CPPstartDate, DateOfInitialCPC
-- message: There are more child protection plans starting than initial conferences taking place
-- checks: More CP plans start in the census year than initial conferences are dated in it
--   (CINdetails and Section47 conference dates counted together).
-- needs: DateOfInitialCPC
with plans as (
    select p.return_id, count(*) as n
    from cin_cpp as p join cin_return as r using (return_id)
    where p.start_date between r.cs and r.rd
    group by all
),

conferences as (
    select return_id, count(*) as n
    from (
        select d.return_id, d.icpc_date from cin_details as d
        union all
        select s.return_id, s.icpc_date from cin_s47 as s
    ) as c
    join cin_return as r using (return_id)
    where c.icpc_date between r.cs and r.rd
    group by all
)

select
    p.return_id,
    'return' as error_key,
    null::bigint as row_key,
    'CPPstartDate' as field,
    p.n || ' plans starting, ' || coalesce(c.n, 0) || ' initial conferences' as value
from plans as p
left join conferences as c using (return_id)
where p.n > coalesce(c.n, 0)

-- rule: 2886Q
-- type: query
-- years: 2022-23..2023-24
-- level: return
-- table: children
-- fields: GenderCurrent, ExpectedPersonBirthDate
-- message: Please check and either amend or provide a reason: Percentage of children with no gender
--   recorded is more than 2% (excluding unborns)
-- checks: More than 2% of the children have GenderCurrent blank or 0 (not recorded) and no expected
--   date of birth.
-- note: The reference validator's version of this rule never fires (an operator-precedence slip);
--   this one does what the DfE says.
-- needs: GenderCurrent
with counts as (
    select
        return_id,
        count(*) as children,
        count(*) filter (where (sex is null or sex = 'U') and expected_birth_date is null) as no_gender
    from cin_child
    group by all
)

select
    return_id,
    'return' as error_key,
    null::bigint as row_key,
    'GenderCurrent' as field,
    no_gender || ' of ' || children || ' children (' || round(100.0 * no_gender / children, 1) || '%)' as value
from counts
where no_gender > 0.02 * children

-- rule: 2886Q
-- type: query
-- years: 2024-25
-- level: return
-- table: children
-- fields: Sex, ExpectedPersonBirthDate
-- message: Please check and either amend or provide a reason: Percentage of children with no sex
--   recorded is more than 2% (excluding unborns)
-- checks: More than 2% of the children have Sex blank or U and no expected date of birth.
-- needs: Sex
with counts as (
    select
        return_id,
        count(*) as children,
        count(*) filter (where (sex is null or sex = 'U') and expected_birth_date is null) as no_sex
    from cin_child
    group by all
)

select
    return_id,
    'return' as error_key,
    null::bigint as row_key,
    'Sex' as field,
    no_sex || ' of ' || children || ' children (' || round(100.0 * no_sex / children, 1) || '%)' as value
from counts
where no_sex > 0.02 * children

-- rule: 2887Q
-- type: query
-- years: 2022-23
-- level: return
-- table: children
-- fields: Disability
-- message: Please check and either amend or provide a reason: Less than 8 disability codes have been
--   used in your return
-- checks: Fewer than 8 different disability codes other than NONE are used in the whole return.
-- note: The reference validator counts the NONE entries instead of the distinct codes, so it fires
--   when there are 7 or fewer NONE entries.
-- needs: Disability
select
    c.return_id,
    'return' as error_key,
    null::bigint as row_key,
    'Disability' as field,
    count(distinct d.disability) filter (where d.disability <> 'NONE') || ' codes used' as value
from cin_child as c
left join cin_disability as d on d.parent_key = c.row_key
group by all
having count(distinct d.disability) filter (where d.disability <> 'NONE') < 8

-- rule: 2888Q
-- type: query
-- years: 2022-23
-- level: return
-- table: children
-- fields: Disability
-- message: Please check and either amend or provide a reason: Only one disability code is recorded per
--   child and multiple disabilities should be recorded where possible.
-- checks: Some children have a disability (other than NONE) but no child has more than one.
-- needs: Disability
with per_child as (
    select return_id, parent_key, count(*) as n
    from cin_disability
    where disability <> 'NONE'
    group by all
)

select
    return_id,
    'return' as error_key,
    null::bigint as row_key,
    'Disability' as field,
    count(*) || ' children with one disability code, none with more' as value
from per_child
group by all
having max(n) = 1
