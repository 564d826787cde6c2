{#-
    The student enrolments that are active now (at as_of): the one definition
    used by every "current" mart (mart_student_current) and by the Telegram
    outbox. Active = the course is running, the enrolment has started
    (enrol_start <= as_of) and not ended (no end, or an end after as_of), it is
    not suspended (some user enrolment active and its method enabled), and the
    user's account is not suspended (Moodle's user.suspended: the student
    cannot log in). Deleted users have no enrolments (int_enrolments_resolved).
-#}

with

enrolments as (

    select * from {{ ref('int_enrolments_resolved') }}

),

courses as (

    select courseid from {{ ref('int_courses_classified') }}
    where course_status = 'running'

),

users as (

    select userid from {{ lms_ref('users') }}
    where not is_suspended

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        enrolments.enrolment_id,
        enrolments.courseid,
        enrolments.userid,
        enrolments.enrol_start,
        enrolments.enrol_end
    from enrolments
    inner join courses
        on enrolments.courseid = courses.courseid
    inner join users
        on enrolments.userid = users.userid
    cross join as_of
    where not enrolments.is_suspended
        and enrolments.enrol_start <= as_of.as_of
        and (enrolments.enrol_end is null or enrolments.enrol_end > as_of.as_of)

)

select * from final
