{#-
    Moodle's default "now" when the var as_of is empty, robust to a handful of
    stray rows, so that runs on the same data are reproducible. One row.

    as_of = the newest log row of the newest day d whose 7 days up to it
    (d-6 .. d) hold at least var as_of_min_volume_share (0.1) of the site's
    usual week: 7 x the median number of log rows of the days that have any.
    Rows stamped later than the run's wall clock are bad data and never count.
    A stray row months after the rest sits alone in its 7 days and is left out
    (it is then rejected as after_as_of and listed in mart_data_quality_rows);
    a run a few hours into a day still sees the six full days before it.

    An empty log (no row up to the wall clock) gives the run's wall-clock start,
    as_of_origin 'run_started_at': every course then has no learning events,
    so no labels and no scores (int_course_validity_checks).
-#}

with

log_events as (

    select timecreated from {{ ref('stg_moodle__log_events') }}
    where timecreated is not null
        and timecreated <= {{ run_started_epoch() }}

),

log_days as (

    select
        cast(floor(timecreated / {{ seconds_per_day() }}.0) as {{ dbt.type_bigint() }}) as day_number,
        timecreated
    from log_events

),

daily as (

    select
        day_number,
        count(*) as n_rows,
        max(timecreated) as newest_at
    from log_days
    group by day_number

),

usual as (

    select {{ percentile_cont('n_rows', 0.5) }} as median_daily_rows
    from daily

),

trailing_week as (

    select
        daily.day_number,
        daily.newest_at,
        sum(earlier.n_rows) as n_rows_7_days
    from daily
    inner join daily as earlier
        on earlier.day_number between daily.day_number - 6 and daily.day_number
    group by daily.day_number, daily.newest_at

),

qualifying as (

    select max(trailing_week.newest_at) as as_of
    from trailing_week
    cross join usual
    where trailing_week.n_rows_7_days
        >= {{ var('as_of_min_volume_share') }} * 7 * usual.median_daily_rows

),

final as (

    select
        case when as_of is null then 'run_started_at' else 'newest_log_event' end as as_of_origin,
        cast(coalesce(as_of, {{ run_started_epoch() }}) as {{ dbt.type_bigint() }}) as as_of
    from qualifying

)

select * from final
