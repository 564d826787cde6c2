{#-
    One row: the run's "now" (as_of), in Unix seconds. The dbt var `as_of`
    wins; otherwise the source's default (lms_ref('as_of_default')): on Moodle
    the newest log event that is not in the future relative to the run's wall
    clock, on OULAD the day after the last presentation ended.
-#}
{%- set as_of_literal = var_as_epoch('as_of') -%}

with

source_default as (

    select
        as_of,
        as_of_origin
    from {{ lms_ref('as_of_default') }}

),

final as (

    select
        {% if as_of_literal is not none -%}
            cast({{ as_of_literal }} as {{ dbt.type_bigint() }}) as as_of,
            'var' as as_of_origin,
        {%- else -%}
            source_default.as_of,
            source_default.as_of_origin,
        {%- endif %}
        cast({{ run_started_epoch() }} as {{ dbt.type_bigint() }}) as run_started_at
    from source_default

)

select * from final
