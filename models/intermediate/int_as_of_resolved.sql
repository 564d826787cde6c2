{#-
    One row: the run's "now" (as_of), in Unix seconds. The dbt var `as_of`
    wins; otherwise the newest log event that is not in the future relative to
    the run's wall clock (rows stamped later than that are bad data). On OULAD, a
    finished historical dataset, the default is the day after the last
    presentation ended, so that every presentation is finished (set as_of to
    look at the presentations as they were running).
-#}
{%- set as_of_literal = var_as_epoch('as_of') -%}

with

log_events as (

    select timecreated from {{ lms_ref('log_events') }}

),

newest_valid_event as (

    select max(timecreated) as newest_event_at
    from log_events
    where timecreated <= {{ run_started_epoch() }}

),
{% if lms_source() == 'oulad' %}
    last_presentation_end as (

        select max(enddate) + {{ seconds_per_day() }} as newest_event_at
        from {{ ref('int_oulad_courses_mapped') }}

    ),
{% endif %}

final as (

    select
        {% if as_of_literal is not none -%}
            cast({{ as_of_literal }} as {{ dbt.type_bigint() }}) as as_of,
            'var' as as_of_origin,
        {%- elif lms_source() == 'oulad' -%}
            last_presentation_end.newest_event_at as as_of,
            'last_oulad_presentation_end' as as_of_origin,
        {%- else -%}
            newest_valid_event.newest_event_at as as_of,
            'newest_log_event' as as_of_origin,
        {%- endif %}
        cast({{ run_started_epoch() }} as {{ dbt.type_bigint() }}) as run_started_at
    from newest_valid_event
    {%- if lms_source() == 'oulad' %}
        cross join last_presentation_end
    {%- endif %}

)

select * from final
