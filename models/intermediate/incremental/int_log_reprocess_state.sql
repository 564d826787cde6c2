{#-
    What the last successful build classified the log with: the fingerprint of
    the inputs that classify old log rows, the as_of and the largest log id.
    Built after int_log_events_classified, int_activity_daily and every
    incremental weekly model (macros/incremental_weeks.sql), read by the
    next run's incremental filter (macros/incremental_log.sql): when the
    fingerprint changed, or this table is missing, the next run reclassifies
    every log row.
-#}

-- depends_on: {{ ref('int_activity_daily') }}
{{ incremental_weeks_consumers() }}

with

fingerprint as (

    {{ log_inputs_fingerprint_sql() }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

classified as (

    select max(log_id) as max_log_id
    from {{ ref('int_log_events_classified') }}

),

final as (

    select
        fingerprint.fingerprint,
        as_of.as_of,
        classified.max_log_id
    from fingerprint
    cross join as_of
    cross join classified

)

select * from final
