{#-
    The enrolment spine: one row per student enrolment (course x user) with its
    effective start and end.

    * A student is a user holding the `student` role in the course context
      (int_role_assignments_resolved) and having at least one user enrolment in
      the course (lms_ref('user_enrolments')); teachers and managers are not
      students. On OULAD every registration is both.
    * Several user enrolments of the same user in one course (e.g. manual and
      self) are merged: start = the earliest start (timestart, or timecreated when
      unrestricted), end = the latest end, NULL (open) when any of them is open.
    * Deleted users are left out: their role assignments are void
      (int_role_assignments_resolved); their log rows are rejected as 'deleted_user'.
    * first_week / last_week bound the enrolment's rows in the weekly grid: a late
      enrolment starts at the week it began, an enrolment that ended early stops
      at the week of its end, and none goes past the course's last_week.
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}

),

-- students: the student role in the course itself (int_role_assignments_resolved: not deleted)
student_roles as (

    select
        courseid,
        userid
    from {{ ref('int_role_assignments_resolved') }}
    where role_shortname = 'student' and granted_at = 'course'

),

course_user_enrolments as (

    select
        courseid,
        userid,
        starts_at,
        ends_at,
        is_active
    from {{ lms_ref('user_enrolments') }}

),

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
