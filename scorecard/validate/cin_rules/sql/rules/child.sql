-- Rules about a child's identifiers and characteristics (ChildIdentifiers, ChildCharacteristics,
-- Disabilities). Columns returned by name: return_id, error_key, row_key, field, value, [context].

-- rule: 1510
-- type: error
-- years: 2022-23
-- level: child
-- fields: UPN
-- message: UPN invalid (wrong check letter at character 1)
-- checks: A 13-character UPN whose first character is not the check letter of characters 2-13
--   (weights 2-13, remainder of 23 mapped to A-Z without I, O and S; a letter at character 13,
--   a temporary UPN, counts as its place in that alphabet).
-- note: The reference validator skips temporary UPNs (a letter at character 13); the DfE's UPN guide
--   gives their check letter too, so they are checked here.
with upns as (
    select *
    from cin_child
    where length(upn) = 13
        and regexp_full_match(substr(upn, 2, 11), '[0-9]{11}')
        and regexp_full_match(substr(upn, 13, 1), '[0-9ABCDEFGHJKLMNPQRTUVWXYZ]')
)

select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'UPN' as field,
    upn as value
from upns
-- characters 2-12 are digits (upns): each is its code point less that of '0'
where substr(upn, 1, 1) <> substr('ABCDEFGHJKLMNPQRTUVWXYZ', 1 + (
        2 * (ascii(substr(upn, 2, 1)) - 48) + 3 * (ascii(substr(upn, 3, 1)) - 48) +
        4 * (ascii(substr(upn, 4, 1)) - 48) + 5 * (ascii(substr(upn, 5, 1)) - 48) +
        6 * (ascii(substr(upn, 6, 1)) - 48) + 7 * (ascii(substr(upn, 7, 1)) - 48) +
        8 * (ascii(substr(upn, 8, 1)) - 48) + 9 * (ascii(substr(upn, 9, 1)) - 48) +
        10 * (ascii(substr(upn, 10, 1)) - 48) + 11 * (ascii(substr(upn, 11, 1)) - 48) +
        12 * (ascii(substr(upn, 12, 1)) - 48) +
        13 * case when substr(upn, 13, 1) between '0' and '9' then ascii(substr(upn, 13, 1)) - 48
                  else strpos('ABCDEFGHJKLMNPQRTUVWXYZ', substr(upn, 13, 1)) - 1 end) % 23, 1)

-- rule: 1520
-- type: error
-- years: 2022-23
-- level: child
-- fields: UPN
-- message: More than one record with the same UPN.
-- checks: The same UPN is on more than one child in the return: every child carrying it is flagged,
--   linked as one error.
-- note: The reference validator reports each duplicate as a separate error; here they share an error id.
select
    return_id,
    'upn-' || min(row_key) over (partition by return_id, upn) as error_key,
    row_key,
    'UPN' as field,
    upn as value
from cin_child
where upn is not null
qualify count(*) over (partition by return_id, upn) > 1

-- rule: 1530
-- type: error
-- years: 2022-23..2022-23
-- level: child
-- fields: UPN
-- message: UPN invalid (characters 2-4 not a recognised LA code)
-- checks: A 13-character UPN whose characters 2-4 are not an LA code of the 2022-23 list.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'UPN' as field,
    upn as value
from cin_child
where length(upn) = 13 and not cin_upn_la(substr(upn, 2, 3), false)

-- rule: 1530
-- type: error
-- years: 2023-24
-- level: child
-- fields: UPN
-- message: UPN invalid (characters 2-4 not a recognised LA code)
-- checks: A 13-character UPN whose characters 2-4 are not an LA code of the list (942 and 943 added
--   in 2023-24).
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'UPN' as field,
    upn as value
from cin_child
where length(upn) = 13 and not cin_upn_la(substr(upn, 2, 3), true)

-- rule: 1540
-- type: error
-- years: 2022-23
-- level: child
-- fields: UPN
-- message: UPN invalid (characters 5-12 not all numeric)
-- checks: A UPN whose characters 5-12 are not eight digits (a UPN too short to have them fails).
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'UPN' as field,
    upn as value
from cin_child
where upn is not null and not regexp_full_match(substr(upn, 5, 8), '[0-9]{8}')

-- rule: 1550
-- type: error
-- years: 2022-23
-- level: child
-- fields: UPN
-- message: UPN invalid (character 13 not a recognised value)
-- checks: A 13-character UPN whose last character is not a digit or a capital letter other than
--   I, O or S.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'UPN' as field,
    upn as value
from cin_child
where length(upn) = 13 and not regexp_full_match(substr(upn, 13, 1), '[0-9ABCDEFGHJKLMNPQRTUVWXYZ]')

-- rule: 1560Q
-- type: query
-- years: 2022-23
-- level: child
-- fields: FormerUPN
-- message: Please check and either amend or provide a reason: Former UPN wrongly formatted
-- checks: A former UPN that is not a letter, eleven digits and a digit or letter (13 characters).
-- note: The reference validator also rejects a letter at character 13, which the UPN format allows
--   (temporary UPNs).
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'FormerUPN' as field,
    former_upn as value
from cin_child
where former_upn is not null and not regexp_full_match(former_upn, '[A-Za-z][0-9]{11}[0-9A-Za-z]')

-- rule: 1570
-- type: error
-- years: 2024-25
-- level: child
-- fields: LAchildID
-- message: LA Child ID must not be longer than 20 characters
-- checks: The LA child id, as it was in the file, is longer than 20 characters.
-- note: Ids are pseudonymised on load; the rule reads the id's length recorded at load.
-- needs: children.child_id_length
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'LAchildID' as field,
    id_length || ' characters' as value
from cin_child
where id_length > 20

-- rule: 1580
-- type: error
-- years: 2024-25
-- level: child
-- fields: LAchildID
-- message: LA Child ID must not contain any non-alphanumeric characters
-- checks: The LA child id, as it was in the file, has a character that is not a letter or a digit.
-- note: Ids are pseudonymised on load; the rule reads whether the id was alphanumeric, recorded at load.
-- needs: children.child_id_alphanumeric
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'LAchildID' as field,
    'not alphanumeric' as value
from cin_child
where not id_alphanumeric

-- rule: 4180
-- type: error
-- years: 2022-23..2023-24
-- level: child
-- fields: GenderCurrent
-- message: Gender is missing
-- checks: GenderCurrent is blank or not one of 1, 2, 0, 9 (staged as M, F, U, I).
-- needs: GenderCurrent
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'GenderCurrent' as field,
    sex as value
from cin_child
where sex is null or sex not in ('M', 'F', 'U', 'I')

-- rule: 4180
-- type: error
-- years: 2024-25
-- level: child
-- fields: Sex
-- message: Sex must be provided and equal M, F, or U
-- checks: Sex is blank or not one of M, F, U.
-- needs: Sex
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'Sex' as field,
    sex as value
from cin_child
where sex is null or sex not in ('M', 'F', 'U')

-- rule: 4220
-- type: error
-- years: 2022-23
-- level: child
-- fields: Ethnicity
-- message: Ethnicity is missing or invalid (see Ethnicity table)
-- checks: Ethnicity is blank or not one of the 20 DfE ethnicity codes.
-- needs: Ethnicity
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'Ethnicity' as field,
    ethnicity as value
from cin_child
where ethnicity is null or ethnicity not in (
    'WBRI', 'WIRI', 'WIRT', 'WOTH', 'WROM', 'MWBC', 'MWBA', 'MWAS', 'MOTH', 'AIND',
    'APKN', 'ABAN', 'AOTH', 'BCRB', 'BAFR', 'BOTH', 'CHNE', 'OOTH', 'REFU', 'NOBT')

-- rule: 8500
-- type: error
-- years: 2022-23
-- level: child
-- fields: LAchildID
-- message: LA Child ID missing
-- checks: The child's LA child id is blank.
-- note: The loader cannot keep a record with no child id: it is quarantined and reported as
--   load.blank_required too.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'LAchildID' as field,
    null as value
from cin_child
where child_id is null

-- rule: 8510
-- type: error
-- years: 2022-23
-- level: child
-- fields: LAchildID
-- message: More than one child record with the same LA Child ID
-- checks: The same LA child id is on more than one child in the return: each is flagged, linked as
--   one error. Blank ids are 8500's, not duplicates of each other.
-- note: The reference validator also treats several blank ids as duplicates of each other.
select
    return_id,
    'id-' || min(row_key) over (partition by return_id, child_id) as error_key,
    row_key,
    'LAchildID' as field,
    child_id as value
from cin_child
where child_id is not null
qualify count(*) over (partition by return_id, child_id) > 1

-- rule: 8520
-- type: error
-- years: 2022-23
-- level: child
-- fields: PersonBirthDate, ReferenceDate
-- message: Date of Birth is after data collection period (must be on or before the end of the census period)
-- checks: The date of birth is after the reference date.
select
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'PersonBirthDate' as field,
    c.birth_date::varchar as value
from cin_child as c join cin_return as r using (return_id)
where c.birth_date > r.rd

-- rule: 8525Q
-- type: query
-- years: 2022-23
-- level: child
-- fields: PersonBirthDate, ExpectedPersonBirthDate
-- message: Either Date of Birth or Expected Date of Birth must be provided (but not both)
-- checks: The child has both a date of birth and an expected date of birth, or neither.
-- needs: PersonBirthDate, ExpectedPersonBirthDate
select return_id, row_key::varchar as error_key, row_key, 'PersonBirthDate' as field, birth_date::varchar as value
from cin_child
where (birth_date is null) = (expected_birth_date is null)
union all
select return_id, row_key::varchar, row_key, 'ExpectedPersonBirthDate', expected_birth_date::varchar
from cin_child
where (birth_date is null) = (expected_birth_date is null)

-- rule: 8530Q
-- type: query
-- years: 2022-23
-- level: child
-- fields: ExpectedPersonBirthDate, ReferenceDate
-- message: Please check and either amend data or provide a reason: Expected Date of Birth is outside
--   the expected range for this census (March to December of the Census Year end)
-- checks: An expected date of birth before 1 March or after 31 December of the reference date's year.
-- note: The reference validator takes RD - 30 days and RD + 9 months as exclusive bounds, so it also
--   flags 1 March and 31 December; the DfE's "March to December" includes them.
select
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'ExpectedPersonBirthDate' as field,
    c.expected_birth_date::varchar as value
from cin_child as c join cin_return as r using (return_id)
where c.expected_birth_date < make_date(year(r.rd), 3, 1)
    or c.expected_birth_date > make_date(year(r.rd), 12, 31)

-- rule: 8535Q
-- type: query
-- years: 2022-23
-- level: child
-- fields: PersonDeathDate, PersonBirthDate
-- message: Please check and either amend data or provide a reason: Child's date of death should not be
--   prior to the date of birth
-- checks: A date of death with no date of birth, or before the date of birth (the same day is allowed).
-- needs: PersonBirthDate
select return_id, row_key::varchar as error_key, row_key, 'PersonDeathDate' as field, death_date::varchar as value
from cin_child
where death_date is not null and (birth_date is null or birth_date > death_date)
union all
select return_id, row_key::varchar, row_key, 'PersonBirthDate', birth_date::varchar
from cin_child
where death_date is not null and (birth_date is null or birth_date > death_date)

-- rule: 8540
-- type: error
-- years: 2022-23
-- level: child
-- fields: Disability, PersonBirthDate, ReferralNFA
-- message: Child's disability is missing or invalid (see Disability table)
-- checks: A born child with a CINdetails that is not a referral with no further action has no
--   Disability, or a Disability that is not one of NONE MOB HAND PC INC COMM LD HEAR VIS BEH CON AUT DDA.
-- needs: Disability
-- note: The reference validator does not report a child with no Disability at all, only invalid codes.
with due as (
    select c.*
    from cin_child as c
    where c.birth_date is not null
        and exists (select 1 from cin_details as d
                    where d.return_id = c.return_id and d.child_id = c.child_id and d.referral_nfa = false)
)

select c.return_id, c.row_key::varchar as error_key, c.row_key, 'Disability' as field, null as value
from due as c
where not exists (select 1 from cin_disability as x where x.parent_key = c.row_key)
union all
select x.return_id, x.row_key::varchar, x.row_key, 'Disability', x.disability
from due as c join cin_disability as x on x.parent_key = c.row_key
where x.disability not in ('NONE', 'MOB', 'HAND', 'PC', 'INC', 'COMM', 'LD', 'HEAR', 'VIS', 'BEH', 'CON', 'AUT', 'DDA')

-- rule: 8545Q
-- type: query
-- years: 2022-23
-- level: child
-- fields: PersonDeathDate, ReferenceDate
-- message: Please check and either amend data or provide a reason: Child's date of death should be
--   within the census year
-- checks: A date of death outside the census year.
select
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'PersonDeathDate' as field,
    c.death_date::varchar as value
from cin_child as c join cin_return as r using (return_id)
where c.death_date not between r.cs and r.rd

-- rule: 8590
-- type: error
-- years: 2022-23
-- level: child
-- fields: LAchildID, CINdetails
-- message: Child does not have a recorded CIN episode.
-- checks: A child with no CINdetails in the return.
select
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'LAchildID' as field,
    c.child_id as value
from cin_child as c
where not exists (select 1 from cin_details as d where d.return_id = c.return_id and d.child_id = c.child_id)

-- rule: 8750
-- type: error
-- years: 2022-23..2023-24
-- level: child
-- fields: GenderCurrent, PersonBirthDate, ExpectedPersonBirthDate
-- message: Gender must equal 0 for an unborn child
-- checks: A child with an expected date of birth and no date of birth whose GenderCurrent is not 0
--   (staged as U).
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'GenderCurrent' as field,
    sex as value
from cin_child
where expected_birth_date is not null and birth_date is null and sex is distinct from 'U'

-- rule: 8750
-- type: error
-- years: 2024-25
-- level: child
-- fields: Sex, PersonBirthDate, ExpectedPersonBirthDate
-- message: Sex must equal U for an unborn child
-- checks: A child with an expected date of birth and no date of birth whose Sex is not U.
select
    return_id,
    row_key::varchar as error_key,
    row_key,
    'Sex' as field,
    sex as value
from cin_child
where expected_birth_date is not null and birth_date is null and sex is distinct from 'U'

-- rule: 8770Q
-- type: query
-- years: 2022-23..2023-24
-- level: child
-- fields: UPN, UPNunknown, PersonBirthDate, ReferralNFA, ReferenceDate
-- message: Please check and either amend data or provide a reason: UPN or reason UPN missing expected
--   for a child who is more than 5 years old
-- checks: A child born on or before the reference date six years earlier, with a CINdetails that is
--   not a referral with no further action, has no UPN and no UPN-unknown reason from UN2 to UN7.
-- needs: UPN, UPNunknown
select
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'UPN' as field,
    c.upn_unknown as value
from cin_child as c join cin_return as r using (return_id)
where c.upn is null
    and c.upn_unknown is distinct from 'UN2' and c.upn_unknown is distinct from 'UN3'
    and c.upn_unknown is distinct from 'UN4' and c.upn_unknown is distinct from 'UN5'
    and c.upn_unknown is distinct from 'UN6' and c.upn_unknown is distinct from 'UN7'
    and c.birth_date <= r.rd - interval 6 year
    and exists (select 1 from cin_details as d
                where d.return_id = c.return_id and d.child_id = c.child_id and d.referral_nfa = false)

-- rule: 8770Q
-- type: query
-- years: 2024-25
-- level: child
-- fields: UPN, UPNunknown, PersonBirthDate, ReferralNFA, ReferenceDate
-- message: Please check and either amend data or provide a reason: UPN is missing or reason UPN is
--   missing or is UN1 for a child who is of school age.
-- checks: A child born on or before 31 August six years before the reference date's year (of school
--   age), with a CINdetails that is not a referral with no further action, has no UPN and no
--   UPN-unknown reason from UN2 to UN7.
-- needs: UPN, UPNunknown
select
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'UPN' as field,
    c.upn_unknown as value
from cin_child as c join cin_return as r using (return_id)
where c.upn is null
    and c.upn_unknown is distinct from 'UN2' and c.upn_unknown is distinct from 'UN3'
    and c.upn_unknown is distinct from 'UN4' and c.upn_unknown is distinct from 'UN5'
    and c.upn_unknown is distinct from 'UN6' and c.upn_unknown is distinct from 'UN7'
    and c.birth_date <= make_date(year(r.rd) - 6, 8, 31)
    and exists (select 1 from cin_details as d
                where d.return_id = c.return_id and d.child_id = c.child_id and d.referral_nfa = false)

-- rule: 8772
-- type: error
-- years: 2022-23
-- level: child
-- fields: UPNunknown, ReferralNFA
-- message: UPN unknown reason is UN7 (Referral with no further action) but at least one CIN details is
--   a referral going on to further action
-- checks: UPN-unknown reason UN7 while a CINdetails of the child is not marked as a referral with no
--   further action (a blank flag counts).
with hits as (
    select c.return_id, c.row_key as c_key, c.upn_unknown, d.row_key as d_key, d.referral_nfa
    from cin_child as c
    join cin_details as d on d.return_id = c.return_id and d.child_id = c.child_id
    where c.upn_unknown = 'UN7' and d.referral_nfa is not true
)

select distinct return_id, c_key::varchar as error_key, c_key as row_key, 'UPNunknown' as field,
       upn_unknown as value, false as context
from hits
union all
select return_id, c_key::varchar, d_key, 'ReferralNFA', referral_nfa::varchar, true
from hits

-- rule: 8775Q
-- type: query
-- years: 2022-23
-- level: child
-- fields: PersonBirthDate, CINclosureDate, ReferenceDate
-- message: Please check and either amend data or provide a reason: Child is over 25 years old
-- checks: A child born more than 25 years before the reference date with a CINdetails still open or
--   closed after their 25th birthday.
select distinct
    c.return_id,
    c.row_key::varchar as error_key,
    c.row_key,
    'PersonBirthDate' as field,
    c.birth_date::varchar as value
from cin_child as c
join cin_return as r using (return_id)
join cin_details as d on d.return_id = c.return_id and d.child_id = c.child_id
where c.birth_date < r.rd - interval 25 year
    and (d.closure_date is null or d.closure_date > c.birth_date + interval 25 year)

-- rule: 8790
-- type: error
-- years: 2022-23
-- level: child
-- fields: Disability
-- message: Disability information includes both None and other values
-- checks: A child with NONE and another disability code: each code other than NONE is flagged.
select
    x.return_id,
    x.parent_key::varchar as error_key,
    x.row_key,
    'Disability' as field,
    x.disability as value
from cin_disability as x
where x.disability <> 'NONE'
    and exists (select 1 from cin_disability as n where n.parent_key = x.parent_key and n.disability = 'NONE')

-- rule: 8794
-- type: error
-- years: 2022-23
-- level: child
-- fields: Disability
-- message: Child has two or more disabilities with the same code
-- checks: The same disability code more than once for a child: every copy is flagged.
select
    return_id,
    parent_key || '-' || disability as error_key,
    row_key,
    'Disability' as field,
    disability as value
from cin_disability
qualify count(*) over (partition by parent_key, disability) > 1
