{{ config(contract={'enforced': true}) }}

{#-
    The activities after which students stop: for every time a student went
    from active to falling_asleep, the course module (activity or resource)
    they touched last before it. One row per course and module that was
    someone's last stop, with how many students stopped there and the share of
    all the course's stops.

    The last stop of a transition is the student's module event with the
    latest timecreated up to the week's last_event_at (the highest log_id among
    events of that second). It is found without pairing each transition with
    all the student's earlier events (work growing with the square of a
    student's log): mostly, the last learning event of the week is itself a module event (an
    equality join); for the other transitions, one time-ordered stream per
    enrolment of its module events and those transitions (events first within a
    second) gives each transition the running max of the event times before
    it, and the events of that second are joined back.
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

-- events and transitions are read twice: planned inline (not_materialized in macros/cross_db.sql)
events as {{ not_materialized() }} (

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

    select
        quiz_id,
        quiz_name
    from {{ lms_ref('quizzes') }}

),

transitions as {{ not_materialized() }} (

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

-- most transitions: the last learning event of the week was itself a module event
exact_stops as (

    select
        transitions.courseid,
        transitions.enrolment_id,
        transitions.course_week,
        events.log_id,
        events.course_module_id
    from transitions
    inner join events
        on
            transitions.enrolment_id = events.enrolment_id
            and transitions.last_event_at = events.timecreated

),

-- the others: their stop is an earlier module event
earlier_transitions as (

    select
        transitions.courseid,
        transitions.enrolment_id,
        transitions.course_week,
        transitions.last_event_at
    from transitions
    left join exact_stops
        on
            transitions.enrolment_id = exact_stops.enrolment_id
            and transitions.course_week = exact_stops.course_week
    -- a NULL last_event_at would match no event
    where exact_stops.enrolment_id is null and transitions.last_event_at is not null

),

earlier_bounds as (

    select
        enrolment_id,
        max(last_event_at) as max_last_event_at
    from earlier_transitions
    group by enrolment_id

),

-- their enrolments' module events up to the last such transition, and those transitions, in one stream
stream as (

    select
        events.enrolment_id,
        events.timecreated as stream_at,
        0 as is_transition,
        events.timecreated as event_at,
        events.log_id,
        events.course_module_id,
        cast(null as {{ dbt.type_bigint() }}) as courseid,
        cast(null as {{ dbt.type_bigint() }}) as course_week
    from events
    inner join earlier_bounds
        on
            events.enrolment_id = earlier_bounds.enrolment_id
            and events.timecreated <= earlier_bounds.max_last_event_at

    union all

    select
        enrolment_id,
        last_event_at as stream_at,
        1 as is_transition,
        cast(null as {{ dbt.type_bigint() }}) as event_at,
        cast(null as {{ dbt.type_bigint() }}) as log_id,
        cast(null as {{ dbt.type_bigint() }}) as course_module_id,
        courseid,
        course_week
    from earlier_transitions

),

-- events of the same second come before the transition: the latest event time up to last_event_at
stop_times as (

    select
        courseid,
        enrolment_id,
        course_week,
        is_transition,
        max(event_at) over (
            partition by enrolment_id
            order by stream_at, is_transition
            rows between unbounded preceding and current row
        ) as stop_at
    from stream

),

earlier_stops as (

    select
        stop_times.courseid,
        stop_times.enrolment_id,
        stop_times.course_week,
        stream.log_id,
        stream.course_module_id
    from stop_times
    inner join stream
        on
            stop_times.enrolment_id = stream.enrolment_id
            and stop_times.stop_at = stream.event_at
    where stop_times.is_transition = 1

),

stops as (

    select
        courseid,
        enrolment_id,
        course_week,
        log_id,
        course_module_id
    from exact_stops

    union all

    select
        courseid,
        enrolment_id,
        course_week,
        log_id,
        course_module_id
    from earlier_stops

),

-- several module events in the stop's second: the highest log_id
last_stops as (

    select
        courseid,
        enrolment_id,
        course_week,
        course_module_id,
        row_number() over (
            partition by enrolment_id, course_week
            order by log_id desc
        ) as recency
    from stops

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
