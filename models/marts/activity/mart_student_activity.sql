{{ config(
    contract={'enforced': true},
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_reprocessed_weeks() }}",
    indexes=warehouse_indexes([['courseid', 'course_week']]),
) }}

{#-
    Activity category of every student enrolment in every course week, with its
    change since the previous week and the student's critical points. The rules
    are in int_enrolment_weeks_categorised; severity order: active <
    falling_asleep < asleep < not_started (worsened = more severe).

    Incremental like fct_enrolment_week_features: a run recomputes, per course,
    the course weeks from int_course_weeks_to_reprocess.from_week on (from every
    week of those courses' students) and keeps the others. on_schema_change is
    append_new_columns, not fail: on PostgreSQL the contract's text columns and
    the batch's varchar columns differ in type name, which fail takes for a
    schema change.
-#}

-- depends_on: {{ ref('int_course_weeks_to_reprocess') }}

with

categorised as (

    select categorised.* from {{ ref('int_enrolment_weeks_categorised') }} as categorised
    {% if is_incremental() -%}
        where {{ in_recomputed_courses('categorised') }}
    {%- endif %}

),

ordered as (

    select
        categorised.*,
        lag(categorised.category) over w_enrolment as previous_category,
        lag(categorised.category_severity) over w_enrolment as previous_severity,
        categorised.category in ('falling_asleep', 'asleep') as is_sleepy,
        row_number() over w_enrolment as week_number,
        max(categorised.course_week) over (partition by categorised.enrolment_id) as latest_week
    from categorised
    window w_enrolment as (partition by enrolment_id order by course_week)

),

islands as (

    select
        ordered.*,
        ordered.week_number - row_number() over (
            partition by ordered.enrolment_id, ordered.category order by ordered.course_week
        ) as category_island,
        ordered.week_number - row_number() over (
            partition by ordered.enrolment_id, ordered.is_sleepy order by ordered.course_week
        ) as sleepy_island,
        case
            when
                ordered.category = 'asleep'
                then ordered.last_event_at + {{ var('category_asleep_days') }} * {{ seconds_per_day() }}
        end as asleep_entered_at,
        case
            when ordered.is_sleepy and ordered.days_since_last_activity >= {{ var('category_falling_asleep_days') }}
                then ordered.last_event_at + {{ var('category_falling_asleep_days') }} * {{ seconds_per_day() }}
            when ordered.is_sleepy then ordered.week_start
        end as sleepy_candidate_at
    from ordered

),

episodes as (

    select
        islands.*,
        row_number() over (
            partition by islands.enrolment_id, islands.category, islands.category_island order by islands.course_week
        ) as weeks_in_category,
        case
            when islands.is_sleepy
                then min(islands.sleepy_candidate_at) over (
                        partition by islands.enrolment_id, islands.is_sleepy, islands.sleepy_island
                        order by islands.course_week
                        rows between unbounded preceding and current row
                    )
        end as falling_asleep_entered_at,
        min(case when islands.is_sleepy then islands.course_week end) over w_so_far as first_falling_asleep_week,
        min(case when islands.category = 'asleep' then islands.course_week end) over w_so_far as first_asleep_week
    from islands
    window w_so_far as (partition by enrolment_id order by course_week rows between unbounded preceding and current row)

),

final as (

    select
        cast(enrolment_id as {{ dbt.type_string() }}) as enrolment_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(course_week as {{ dbt.type_bigint() }}) as course_week,
        cast({{ epoch_to_timestamp('week_end') }} as {{ dbt.type_timestamp() }}) as week_end,
        cast(is_complete_week as boolean) as is_complete_week,
        cast(course_week = latest_week as boolean) as is_current,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(category_reason as {{ dbt.type_string() }}) as category_reason,
        cast(previous_category as {{ dbt.type_string() }}) as previous_category,
        cast(coalesce(previous_category <> category, false) as boolean) as category_changed,
        cast(
            case
                when previous_category is null then null
                when category_severity > previous_severity then 'worsened'
                when category_severity < previous_severity then 'improved'
                else 'unchanged'
            end as {{ dbt.type_string() }}
        ) as change_direction,
        cast(weeks_in_category as {{ dbt.type_bigint() }}) as weeks_in_category,
        cast(days_since_last_activity as {{ dbt.type_bigint() }}) as days_since_last_activity,
        cast({{ epoch_to_timestamp('last_event_at') }} as {{ dbt.type_timestamp() }}) as last_activity_at,
        cast({{ epoch_to_timestamp('falling_asleep_entered_at') }} as {{ dbt.type_timestamp() }})
            as falling_asleep_since,
        cast({{ epoch_to_timestamp('asleep_entered_at') }} as {{ dbt.type_timestamp() }}) as asleep_since,
        cast(first_falling_asleep_week as {{ dbt.type_bigint() }}) as first_falling_asleep_week,
        cast(first_asleep_week as {{ dbt.type_bigint() }}) as first_asleep_week
    from episodes
    {% if is_incremental() -%}
        where {{ in_reprocessed_weeks('episodes') }}
    {%- endif %}

)

select * from final
