{#-
    What the pipeline did with questionable source rows: one row per check with
    the number of rows concerned and the documented treatment. Nothing is
    dropped without being counted here.
-#}

with

log_rows as (

    select rejection_reason from {{ ref('int_log_events_classified') }}

),

courses as (

    select * from {{ ref('int_courses_classified') }}

),

enrolled_courses as (

    select distinct courseid from {{ ref('int_enrolments_resolved') }}

),

users as (

    select * from {{ lms_ref('users') }}

),

source_gaps as (

    select * from {{ lms_ref('source_gaps') }}

),

log_checks as (

    select
        'logstore_standard_log' as source_table,
        coalesce(rejection_reason, 'kept_as_learning_event') as check_name,
        count(*) as n_rows
    from log_rows
    group by rejection_reason

),

course_checks as (

    select
        'course' as source_table,
        'course_without_end_date' as check_name,
        sum(case when has_no_end_date then 1 else 0 end) as n_rows
    from courses

    union all

    select
        'course' as source_table,
        'course_without_students' as check_name,
        count(*) as n_rows
    from courses
    left join enrolled_courses
        on courses.courseid = enrolled_courses.courseid
    where enrolled_courses.courseid is null

    union all

    select
        'user' as source_table,
        'deleted_user' as check_name,
        sum(case when is_deleted then 1 else 0 end) as n_rows
    from users

),

checks as (

    select * from log_checks
    union all
    select * from course_checks
    union all
    select
        source_table,
        check_name,
        n_rows
    from source_gaps

),

treatments as (

    select * from {{ ref('data_quality_treatments') }}

),

final as (

    select
        checks.source_table,
        checks.check_name,
        treatments.treatment,
        coalesce(checks.n_rows, 0) as n_rows
    from checks
    left join treatments
        on checks.check_name = treatments.check_name

)

select * from final
