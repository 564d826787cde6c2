{#-
    Moodle's default "now" when the var as_of is empty: the newest log event
    that is not in the future relative to the run's wall clock (rows stamped
    later than that are bad data), so that runs on the same data are
    reproducible. One row.
-#}

with

log_events as (

    select timecreated from {{ ref('stg_moodle__log_events') }}

),

final as (

    select
        'newest_log_event' as as_of_origin,
        max(timecreated) as as_of
    from log_events
    where timecreated <= {{ run_started_epoch() }}

)

select * from final
