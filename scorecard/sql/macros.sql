-- Parsing macros shared by the loader (to decide what to quarantine) and the staging models
-- (to type what was accepted), so both always agree.

-- blank or whitespace-only text is unknown
create or replace macro sc_blank(s) as nullif(trim(s), '');

-- free text / identifiers: trimmed, blank -> null
create or replace macro sc_text(s) as sc_blank(s);

-- DfE codes: trimmed, upper-cased, blank -> null
create or replace macro sc_code(s) as upper(sc_blank(s));

-- Excel serial day numbers (1900 date system, as written by Excel and read without a date format)
create or replace macro sc_excel_serial(s) as (
    case
        when regexp_full_match(trim(s), '[0-9]{1,7}(\.[0-9]+)?')
             and try_cast(trim(s) as double) between 1 and 2958465
        then timestamp '1899-12-30 00:00:00'
             + to_microseconds(cast(round(try_cast(trim(s) as double) * 86400000000) as bigint))
    end
);

-- a date-time in any of the forms extracts.md allows; a bare date means 00:00
create or replace macro sc_datetime(s) as (
    case
        when sc_blank(s) is null then null
        else coalesce(
            try_strptime(trim(s), '%Y-%m-%d %H:%M:%S'),
            try_strptime(trim(s), '%Y-%m-%d %H:%M'),
            try_strptime(trim(s), '%Y-%m-%dT%H:%M:%S'),
            try_strptime(trim(s), '%Y-%m-%dT%H:%M'),
            try_strptime(trim(s), '%Y-%m-%d %H:%M:%S.%f'),
            try_strptime(trim(s), '%Y-%m-%d'),
            try_strptime(trim(s), '%d/%m/%Y %H:%M:%S'),
            try_strptime(trim(s), '%d/%m/%Y %H:%M'),
            try_strptime(trim(s), '%d/%m/%Y'),
            sc_excel_serial(s)
        )
    end
);

-- a date; a date-time at any time of day is accepted and truncated to its date
create or replace macro sc_date(s) as cast(sc_datetime(s) as date);

-- flags: Y/N, Yes/No, 1/0, True/False (any case); anything else -> null
create or replace macro sc_flag(s) as (
    case upper(sc_blank(s))
        when 'Y' then true when 'YES' then true when '1' then true when 'TRUE' then true
        when 'T' then true when '1.0' then true
        when 'N' then false when 'NO' then false when '0' then false when 'FALSE' then false
        when 'F' then false when '0.0' then false
    end
);
