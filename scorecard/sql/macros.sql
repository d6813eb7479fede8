-- Parsing macros shared by the loader (to decide what to quarantine) and the staging models
-- (to type what was accepted), so both always agree.

-- blank or whitespace-only text is unknown
create or replace macro sc_blank(s) as nullif(trim(s), '');

-- free text / identifiers: trimmed, blank -> null
create or replace macro sc_text(s) as sc_blank(s);

-- DfE codes: trimmed, upper-cased, blank -> null
create or replace macro sc_code(s) as upper(sc_blank(s));

-- several DfE codes in one cell (children.disabilities, assessments.assessment_factors):
-- upper-cased, any run of spaces, commas, semicolons or bars made one space, blank -> null;
-- repeats and order are kept (the DfE rules look for repeated codes)
create or replace macro sc_code_list(s) as
    nullif(trim(regexp_replace(upper(s), '[\s,;|]+', ' ', 'g')), '');

-- Excel serial day numbers (1900 date system, as written by Excel and read without a date format)
create or replace macro sc_excel_serial(s) as (
    case
        when regexp_full_match(trim(s), '[0-9]{1,7}(\.[0-9]+)?')
             and try_cast(trim(s) as double) between 1 and 2958465
        then timestamp '1899-12-30 00:00:00'
             + to_microseconds(cast(round(try_cast(trim(s) as double) * 86400000000) as bigint))
    end
);

-- a date-time in any of the forms extracts.md allows; a bare date means 00:00.
-- ISO forms first (a cast, fast), then UK day-first forms (only for text with a '/'),
-- then Excel serials; coalesce only evaluates a later form where the earlier ones failed.
create or replace macro sc_datetime(s) as (
    case
        when sc_blank(s) is null then null
        else coalesce(
            try_cast(trim(s) as timestamp),
            case when contains(s, '/') then coalesce(
                try_strptime(trim(s), '%d/%m/%Y'),
                try_strptime(trim(s), '%d/%m/%Y %H:%M'),
                try_strptime(trim(s), '%d/%m/%Y %H:%M:%S')
            ) end,
            sc_excel_serial(s)
        )
    end
);

-- keyed pseudonym: 'P' + the first 16 hex digits of HMAC-SHA256(key, trimmed id); the key
-- arrives only as its inner and outer pads (bound parameters), never stored
create or replace macro sc_pseudonym(s, ipad, opad) as
    'P' || substr(sha256(opad || unhex(sha256(ipad || encode(trim(s))))), 1, 16);

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

-- DfE duration bands (docs/metrics-extensions.md). Months are calendar months (date
-- arithmetic: 31 January + 1 month = 28/29 February); the year bands are 365 and 730 days, the
-- DfE's own "more than 729 calendar days" for two years (as cpp_ended_2yrs_plus_pct).
-- Null when either date is blank or the end is before the start.
-- Child protection plans, the bands of the DfE's table D5 (plans at 31 March by length):
create or replace macro sc_cpp_duration_band(start_date, on_date) as (
    case
        when start_date is null or on_date is null or on_date < start_date then null
        when on_date <= start_date + interval 3 month then '3 months or less'
        when on_date <= start_date + interval 6 month then 'More than 3 months to 6 months'
        when date_diff('day', start_date, on_date) < 365
            then 'More than 6 months to less than 1 year'
        when date_diff('day', start_date, on_date) < 730 then '1 year to less than 2 years'
        else '2 years or more'
    end
);

-- Children in need episodes, the bands of the DfE's tables B4 and B5 (LAIT CINTime*, CINCease*):
create or replace macro sc_cin_duration_band(start_date, on_date) as (
    case
        when start_date is null or on_date is null or on_date < start_date then null
        when on_date < start_date + interval 3 month then 'Under 3 months'
        when on_date < start_date + interval 6 month then '3 months to under 6 months'
        when date_diff('day', start_date, on_date) < 365 then '6 months to under 1 year'
        when date_diff('day', start_date, on_date) < 730 then '1 year to under 2 years'
        else '2 years or more'
    end
);
