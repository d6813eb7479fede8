-- calendar_days: one row per calendar date, flagging weekends and England and Wales
-- bank holidays, with a running count of working days.
--
-- Grain: one row per date from $first_day to $last_day (inclusive).
-- Parameters (supplied by scorecard.metrics.build_marts):
--   $first_day, $last_day       the span the assessments and S47 enquiries need
--   $holiday_dates, $holiday_names
--                               England and Wales bank holidays (substitute days included)
--                               from the `holidays` library, never a hand-typed list
-- working_day_number counts the working days from $first_day up to and including the date,
-- so the working days strictly after date A up to and including date B are
-- number(B) - number(A) ("the start day is day 0").

with

source as (

    select
        cast(unnest($holiday_dates) as date) as holiday_date,
        cast(unnest($holiday_names) as varchar) as holiday_name

),

days as (

    select cast(day as date) as calendar_date
    from range(cast($first_day as timestamp), cast($last_day as timestamp) + interval 1 day, interval 1 day) as t(day)

),

flagged as (

    select
        days.calendar_date,
        isodow(days.calendar_date) in (6, 7) as is_weekend,
        source.holiday_date is not null as is_bank_holiday,
        source.holiday_name as bank_holiday_name
    from days
    left join source on source.holiday_date = days.calendar_date

),

final as (

    select
        *,
        not (is_weekend or is_bank_holiday) as is_working_day,
        sum(case when is_weekend or is_bank_holiday then 0 else 1 end)
            over (order by calendar_date rows between unbounded preceding and current row)
            as working_day_number
    from flagged

)

select * from final
