{#-
    One row: the run's "now" (as_of), in Unix seconds. The dbt var `as_of`
    wins; otherwise the newest log event that is not in the future relative to
    the run's wall clock (rows stamped later than that are bad data).
-#}
{%- set as_of_literal = var_as_epoch('as_of') -%}

with

log_events as (

    select timecreated from {{ ref('stg_moodle__log_events') }}

),

newest_valid_event as (

    select max(timecreated) as newest_event_at
    from log_events
    where timecreated <= {{ run_started_epoch() }}

),

final as (

    select
        {% if as_of_literal is not none -%}
            cast({{ as_of_literal }} as {{ dbt.type_bigint() }}) as as_of,
            'var' as as_of_origin,
        {%- else -%}
            newest_event_at as as_of,
            'newest_log_event' as as_of_origin,
        {%- endif %}
        cast({{ run_started_epoch() }} as {{ dbt.type_bigint() }}) as run_started_at
    from newest_valid_event

)

select * from final
