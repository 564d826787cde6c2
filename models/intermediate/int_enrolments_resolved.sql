{#-
    The enrolment spine: one row per student enrolment (course x user) with its
    effective start and end.

    * A student is a user holding the `student` role in the course context and
      having at least one user enrolment in the course; teachers and managers are
      not students. On OULAD (var lms_source), every registration is a student
      enrolment (int_oulad_registrations_mapped).
    * Several user enrolments of the same user in one course (e.g. manual and
      self) are merged: start = the earliest start (timestart, or timecreated when
      unrestricted), end = the latest end, NULL (open) when any of them is open.
    * Deleted users are left out (their log rows are rejected as 'deleted_user').
    * first_week / last_week bound the enrolment's rows in the weekly grid: a late
      enrolment starts at the week it began, an enrolment that ended early stops
      at the week of its end, and none goes past the course's last_week.
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}

),

users as (

    select * from {{ lms_ref('users') }}

),
{% if lms_source() == 'oulad' %}
    registrations as (

        select * from {{ ref('int_oulad_registrations_mapped') }}

    ),

    student_roles as (

        select distinct
            courseid,
            userid
        from registrations

    ),

    course_user_enrolments as (

        select
            courseid,
            userid,
            ends_at,
            starts_at,
            is_active
        from registrations

    ),
{% else %}
    user_enrolments as (

        select * from {{ ref('stg_moodle__user_enrolments') }}

    ),

    enrol_methods as (

        select * from {{ ref('stg_moodle__enrol_methods') }}

    ),

    role_assignments as (

        select * from {{ ref('stg_moodle__role_assignments') }}

    ),

    contexts as (

        select * from {{ ref('stg_moodle__contexts') }}

    ),

    roles as (

        select * from {{ ref('stg_moodle__roles') }}

    ),

    student_roles as (

        select distinct
            contexts.instanceid as courseid,
            role_assignments.userid
        from role_assignments
        inner join contexts
            on role_assignments.context_id = contexts.context_id
        inner join roles
            on role_assignments.role_id = roles.role_id
        where contexts.contextlevel = 50
            and roles.role_shortname = 'student'

    ),

    course_user_enrolments as (

        select
            enrol_methods.courseid,
            user_enrolments.userid,
            user_enrolments.timeend as ends_at,
            coalesce(user_enrolments.timestart, user_enrolments.timecreated) as starts_at,
            user_enrolments.is_active and enrol_methods.is_enabled as is_active
        from user_enrolments
        inner join enrol_methods
            on user_enrolments.enrol_id = enrol_methods.enrol_id

    ),
{% endif %}

merged as (

    select
        courseid,
        userid,
        min(starts_at) as enrol_start,
        case
            when sum(case when ends_at is null then 1 else 0 end) > 0 then null
            else max(ends_at)
        end as enrol_end,
        max(case when is_active then 1 else 0 end) = 0 as is_suspended,
        count(*) as n_user_enrolments
    from course_user_enrolments
    group by courseid, userid

),

spine as (

    select
        merged.courseid,
        merged.userid,
        merged.enrol_start,
        merged.enrol_end,
        merged.is_suspended,
        merged.n_user_enrolments,
        courses.startdate,
        courses.enddate,
        courses.last_week as course_last_week,
        {{ course_week_of('merged.enrol_start', 'courses.startdate') }} as enrol_start_week,
        {{ course_week_of('merged.enrol_end - 1', 'courses.startdate') }} as enrol_end_week
    from merged
    inner join student_roles
        on merged.courseid = student_roles.courseid
            and merged.userid = student_roles.userid
    inner join courses
        on merged.courseid = courses.courseid
    inner join users
        on merged.userid = users.userid
    where not users.is_deleted

),

final as (

    select
        {{ enrolment_key('courseid', 'userid') }} as enrolment_id,
        courseid,
        userid,
        enrol_start,
        enrol_end,
        is_suspended,
        n_user_enrolments,
        greatest(enrol_start_week, 1) as first_week,
        least(coalesce(enrol_end_week, course_last_week), course_last_week) as last_week,
        case
            when enddate is null or enddate <= startdate then null
            else greatest(
                    0.0,
                    cast(
                        least(coalesce(enrol_end, enddate), enddate) - greatest(enrol_start, startdate)
                        as {{ type_double() }}
                    ) / (enddate - startdate)
                )
        end as enrolled_share_of_course
    from spine

)

select * from final
