{#-
    Assignment milestones per student enrolment and course week, as increments
    that the feature mart sums up to each week.

    For each assignment with a due date and each student enrolled before it was
    due (assignments due before a late enrolment are not expected of that student): it becomes due in the week holding its due date; a submission (status
    'submitted', latest attempt, timemodified = submission time) counts as on
    time when made by the due date, late otherwise, in the week it was made; it
    stops being missing in the later of those two weeks. Submissions and due
    dates after as_of are not seen. Assignments without a due date only count as
    submissions.
-#}

with

assignments as (

    select * from {{ lms_ref('assignments') }}

),

submissions as (

    select * from {{ lms_ref('assign_submissions') }}
    where submission_status = 'submitted' and is_latest

),

enrolments as (

    select * from {{ ref('int_enrolments_resolved') }}

),

courses as (

    select
        courseid,
        startdate
    from {{ ref('int_courses_classified') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

per_student as (

    select
        enrolments.enrolment_id,
        enrolments.first_week,
        courses.startdate,
        assignments.duedate,
        submissions.timemodified as submitted_at,
        assignments.duedate <= as_of.as_of as is_due_by_as_of
    from enrolments
    inner join assignments
        on enrolments.courseid = assignments.courseid
    inner join courses
        on enrolments.courseid = courses.courseid
    cross join as_of
    left join submissions
        on assignments.assign_id = submissions.assign_id
            and enrolments.userid = submissions.userid
            and as_of.as_of >= submissions.timemodified
    where assignments.duedate is null
        or assignments.duedate >= enrolments.enrol_start

),

with_weeks as (

    select
        enrolment_id,
        case
            when is_due_by_as_of then greatest({{ course_week_of('duedate', 'startdate') }}, first_week)
        end as due_week,
        case
            when submitted_at is not null then greatest({{ course_week_of('submitted_at', 'startdate') }}, first_week)
        end as submit_week,
        duedate,
        submitted_at
    from per_student

),

milestones as (

    select
        enrolment_id,
        due_week as course_week,
        1 as n_due,
        0 as n_submitted,
        0 as n_on_time,
        0 as n_late,
        0 as n_due_and_submitted
    from with_weeks
    where due_week is not null

    union all

    select
        enrolment_id,
        submit_week as course_week,
        0 as n_due,
        1 as n_submitted,
        case when duedate is not null and submitted_at <= duedate then 1 else 0 end as n_on_time,
        case when duedate is not null and submitted_at > duedate then 1 else 0 end as n_late,
        0 as n_due_and_submitted
    from with_weeks
    where submit_week is not null

    union all

    select
        enrolment_id,
        greatest(due_week, submit_week) as course_week,
        0 as n_due,
        0 as n_submitted,
        0 as n_on_time,
        0 as n_late,
        1 as n_due_and_submitted
    from with_weeks
    where due_week is not null and submit_week is not null

),

final as (

    select
        enrolment_id,
        course_week,
        sum(n_due) as n_due,
        sum(n_submitted) as n_submitted,
        sum(n_on_time) as n_on_time,
        sum(n_late) as n_late,
        sum(n_due_and_submitted) as n_due_and_submitted
    from milestones
    group by enrolment_id, course_week

)

select * from final
