{#-
    Which weekly rows this run recomputes: one row per course, with the first
    course week whose rows the incremental weekly models recompute (from_week;
    NULL: none). The rule is in macros/incremental_weeks.sql. Built after the
    incremental log models and before the weekly models; the states it compares
    with (int_log_reprocess_state, int_course_week_inputs_state) are rebuilt
    only after every weekly model succeeded.
-#}

-- depends_on: {{ ref('int_log_events_classified') }}
-- depends_on: {{ ref('int_activity_daily') }}
{%- set window = log_reprocess_window(true) %}
{#- rendered whatever the mode, so that dbt sees its refs at parse time #}
{%- set inputs_sql = course_week_inputs_sql() %}
{%- set inputs_state = none %}
{%- if execute %}
    {%- set inputs_state = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier='int_course_week_inputs_state') %}
{%- endif %}
{%- set full = window.full or inputs_state is none %}
{%- if execute and full %}
    {{ log("[int_course_weeks_to_reprocess] weekly models: all rows ("
        ~ ("no int_course_week_inputs_state from an earlier build" if inputs_state is none
           else "the log is reprocessed in full") ~ ")", info=true) }}
{%- endif %}

with

courses as (

    select
        courseid,
        startdate,
        last_week
    from {{ ref('int_courses_classified') }}

),

{% if full -%}

    candidates as (

        select
            courseid,
            1 as from_week
        from courses

    ),

{%- else -%}

    log_window as (

        -- the week holding the first second of the log window, and every later week
        select
            courseid,
            {{ course_week_of(window.from_time ~ ' - 1', 'startdate') }} as from_week
        from courses

    ),

    late_log_days as (

        select
            courseid,
            min({{ course_week_of('course_day * ' ~ seconds_per_day(), '0') }}) as from_week
        from ({{ reprocessed_activity_days_sql(window) }}) as reprocessed_days
        group by courseid

    ),

    inputs_now as (

        {{ inputs_sql | indent(8) }}

    ),

    inputs_before as (

        select
            courseid,
            course_week,
            inputs_fingerprint
        from {{ inputs_state }}

    ),

    changed_inputs as (

        select
            coalesce(inputs_now.courseid, inputs_before.courseid) as courseid,
            min(coalesce(inputs_now.course_week, inputs_before.course_week)) as from_week
        from inputs_now
        full outer join inputs_before
            on inputs_now.courseid = inputs_before.courseid
                and inputs_now.course_week = inputs_before.course_week
        where inputs_now.inputs_fingerprint is distinct from inputs_before.inputs_fingerprint
        group by coalesce(inputs_now.courseid, inputs_before.courseid)

    ),

    candidates as (

        select
            courseid,
            from_week
        from log_window
        union all
        select
            courseid,
            from_week
        from late_log_days
        union all
        select
            courseid,
            from_week
        from changed_inputs

    ),

{%- endif %}

final as (

    select
        courses.courseid,
        -- activity before the course start counts in week 1
        case
            when min(candidates.from_week) < 1 then 1
            else min(candidates.from_week)
        end as from_week,
        coalesce(min(candidates.from_week) <= courses.last_week, false) as has_weeks_to_compute,
        {{ 'true' if full else 'false' }} as is_full_reprocess
    from courses
    left join candidates
        on courses.courseid = candidates.courseid
    group by courses.courseid, courses.last_week

)

select * from final
