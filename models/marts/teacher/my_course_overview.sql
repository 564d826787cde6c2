{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    One row per course the database user may see (my_courses' courses, once):
    its active students per category, how many worsened since last week and
    since the previous run, their median p_completion and the critical week
    (the week in which most students crossed into falling_asleep or asleep,
    mart_course_critical_points; the earliest on a tie), with the as_of of the
    build. Courses without active students (finished, not started) show zeros.
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}
    where courseid in {{ my_courseids() }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

student_current as (

    select
        courseid,
        category,
        change_direction,
        changed_since_previous_run,
        previous_run_category,
        p_completion
    from {{ ref('mart_student_current') }}
    where courseid in {{ my_courseids() }}

),

critical_points as (

    select
        courseid,
        course_week,
        n_entered_falling_asleep + n_entered_asleep as n_crossed,
        row_number() over (
            partition by courseid
            order by n_entered_falling_asleep + n_entered_asleep desc, course_week asc
        ) as crossing_rank
    from {{ ref('mart_course_critical_points') }}
    where courseid in {{ my_courseids() }}

),

per_course as (

    select
        courseid,
        count(*) as n_students,
        sum(case when category = 'active' then 1 else 0 end) as n_active,
        sum(case when category = 'falling_asleep' then 1 else 0 end) as n_falling_asleep,
        sum(case when category = 'asleep' then 1 else 0 end) as n_asleep,
        sum(case when category = 'not_started' then 1 else 0 end) as n_not_started,
        sum(case when change_direction = 'worsened' then 1 else 0 end) as n_worsened_since_last_week,
        sum(
            case
                when changed_since_previous_run
                    and {{ category_severity('category') }} > {{ category_severity('previous_run_category') }}
                    then 1
                else 0
            end
        ) as n_worsened_since_previous_run,
        {{ percentile_cont('p_completion', 0.5) }} as median_p_completion
    from student_current
    group by courseid

),

final as (

    select
        courses.courseid,
        courses.course_fullname,
        courses.course_shortname,
        courses.course_status,
        cast(coalesce(per_course.n_students, 0) as {{ dbt.type_bigint() }}) as n_students,
        cast(coalesce(per_course.n_active, 0) as {{ dbt.type_bigint() }}) as n_active,
        cast(coalesce(per_course.n_falling_asleep, 0) as {{ dbt.type_bigint() }}) as n_falling_asleep,
        cast(coalesce(per_course.n_asleep, 0) as {{ dbt.type_bigint() }}) as n_asleep,
        cast(coalesce(per_course.n_not_started, 0) as {{ dbt.type_bigint() }}) as n_not_started,
        cast(
            coalesce(per_course.n_worsened_since_last_week, 0) as {{ dbt.type_bigint() }}
        ) as n_worsened_since_last_week,
        cast(
            coalesce(per_course.n_worsened_since_previous_run, 0) as {{ dbt.type_bigint() }}
        ) as n_worsened_since_previous_run,
        cast(per_course.median_p_completion as {{ type_double() }}) as median_p_completion,
        cast(critical_points.course_week as {{ dbt.type_bigint() }}) as critical_week,
        cast(critical_points.n_crossed as {{ dbt.type_bigint() }}) as critical_week_n_crossed,
        as_of.as_of
    from courses
    cross join as_of
    left join per_course
        on courses.courseid = per_course.courseid
    left join critical_points
        on courses.courseid = critical_points.courseid
            and critical_points.crossing_rank = 1
            and critical_points.n_crossed > 0

)

select * from final
