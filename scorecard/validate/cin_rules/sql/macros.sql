-- Macros the census frame and the rules share (temporary: they live with the connection).

-- a record active in a census window: dated on or before RD and not ended before the start
create or replace temp macro cin_member(start_d, stop_d, cs, rd) as
    start_d <= rd and (stop_d is null or stop_d >= cs or start_d >= cs);

-- a date as it stood on the reference date: in the period return (id 0) a later date was not
-- yet known (a census file says what it says)
create or replace temp macro cin_as_at(d, return_id, rd) as
    case when return_id = 0 and d > rd then null else d end;

-- a list of codes held as text ("MOB HAND", "1A,3B"): split on spaces, commas, semicolons
create or replace temp macro cin_codes(s) as
    [x for x in string_split_regex(coalesce(trim(s), ''), '[\s,;|]+') if x <> ''];

-- characters 2-4 of a UPN are a DfE LA code (later: the 2023-24 list, which adds 942 and 943)
create or replace temp macro cin_upn_la(s, later) as
    regexp_full_match(s, '[0-9]{3}') and (
        cast(s as integer) between 1 and 5 or cast(s as integer) between 201 and 213
        or cast(s as integer) between 301 and 320 or cast(s as integer) between 330 and 336
        or cast(s as integer) between 340 and 344 or cast(s as integer) between 350 and 359
        or cast(s as integer) between 370 and 373 or cast(s as integer) between 380 and 384
        or cast(s as integer) between 390 and 394 or cast(s as integer) = 420
        or cast(s as integer) between 660 and 681 or cast(s as integer) between 701 and 708
        or cast(s as integer) between 800 and 803 or cast(s as integer) between 805 and 808
        or cast(s as integer) between 810 and 813 or cast(s as integer) in (815, 816)
        or cast(s as integer) between 820 and 823 or cast(s as integer) in (825, 826, 830, 831)
        or cast(s as integer) between 835 and 841 or cast(s as integer) in (845, 846)
        or cast(s as integer) between 850 and 852 or cast(s as integer) between 855 and 857
        or cast(s as integer) in (860, 861) or cast(s as integer) between 865 and 896
        or cast(s as integer) in (908, 909, 916, 919, 921, 925, 926, 928, 929, 931, 933)
        or cast(s as integer) between 935 and 938 or cast(s as integer) in (940, 941)
        or (later and cast(s as integer) in (942, 943)));
