{{ config(contract={'enforced': true}) }}

{#-
    The activities after which students stop: for every time a student went
    from active to falling_asleep, the course module (activity or resource)
    they touched last before it. One row per course and module that was
    someone's last stop, with how many students stopped there and the share of
    all the course's stops.
-#}

with

activity as (

    select
        enrolment_id,
        course_week,
        category,
        previous_category
    from {{ ref('mart_student_activity') }}

),

categorised as (

    select
        enrolment_id,
        courseid,
        course_week,
        last_event_at
    from {{ ref('int_enrolment_weeks_categorised') }}

),

events as (

    select
        log_id,
        enrolment_id,
        timecreated,
        course_module_id
    from {{ ref('int_learning_events_filtered') }}
    where course_module_id is not null

),

course_modules as (

    select * from {{ lms_ref('course_modules') }}

),

modules as (

    select * from {{ lms_ref('modules') }}

),

assignments as (

    select
        assign_id,
        assign_name
    from {{ lms_ref('assignments') }}

),

quizzes as (

    {% if lms_source() == 'oulad' -%}
        -- OULAD has no quizzes (its computer-marked assessments are assignments)
        select
            assign_id as quiz_id,
            assign_name as quiz_name
        from assignments
        where false
    {%- else -%}
        select
            quiz_id,
            quiz_name
        from {{ ref('stg_moodle__quizzes') }}
    {%- endif %}

),

transitions as (

    select
        categorised.enrolment_id,
        categorised.courseid,
        categorised.course_week,
        categorised.last_event_at
    from activity
    inner join categorised
        on
            activity.enrolment_id = categorised.enrolment_id
            and activity.course_week = categorised.course_week
    where activity.previous_category = 'active' and activity.category = 'falling_asleep'

),

last_stops as (

    select
        transitions.courseid,
        transitions.enrolment_id,
        transitions.course_week,
        events.course_module_id,
        row_number() over (
            partition by transitions.enrolment_id, transitions.course_week
            order by events.timecreated desc, events.log_id desc
        ) as recency
    from transitions
    inner join events
        on
            transitions.enrolment_id = events.enrolment_id
            and transitions.last_event_at >= events.timecreated

),

per_module as (

    select
        courseid,
        course_module_id,
        count(*) as n_stops,
        count(distinct enrolment_id) as n_students,
        min(course_week) as first_stop_week,
        max(course_week) as last_stop_week
    from last_stops
    where recency = 1
    group by courseid, course_module_id

),

ranked as (

    select
        per_module.*,
        sum(per_module.n_stops) over (partition by per_module.courseid) as n_course_stops,
        row_number()
            over (partition by per_module.courseid order by per_module.n_stops desc, per_module.course_module_id asc)
            as stop_rank
    from per_module

),

final as (

    select
        cast(ranked.courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(ranked.course_module_id as {{ dbt.type_bigint() }}) as course_module_id,
        cast(modules.module_name as {{ dbt.type_string() }}) as module_type,
        cast(
            coalesce(assignments.assign_name, quizzes.quiz_name) as {{ dbt.type_string() }}
        ) as activity_name,
        cast(course_modules.section_id as {{ dbt.type_bigint() }}) as section_id,
        cast(ranked.n_stops as {{ dbt.type_bigint() }}) as n_stops,
        cast(ranked.n_students as {{ dbt.type_bigint() }}) as n_students,
        cast(1.0 * ranked.n_stops / ranked.n_course_stops as {{ type_double() }}) as share_of_course_stops,
        cast(ranked.stop_rank as {{ dbt.type_bigint() }}) as stop_rank,
        cast(ranked.first_stop_week as {{ dbt.type_bigint() }}) as first_stop_week,
        cast(ranked.last_stop_week as {{ dbt.type_bigint() }}) as last_stop_week
    from ranked
    left join course_modules
        on ranked.course_module_id = course_modules.course_module_id
    left join modules
        on course_modules.module_id = modules.module_id
    left join assignments
        on modules.module_name = 'assign' and course_modules.instance_id = assignments.assign_id
    left join quizzes
        on modules.module_name = 'quiz' and course_modules.instance_id = quizzes.quiz_id

)

select * from final
