{{ config(materialized='view') }}

{#-
    Each active student's next deadline (the next step of a notification): one
    row per active enrolment (int_enrolments_active) that has one, with the
    nearest deadline after as_of of a visible assignment (due date) or quiz
    (close time) of the course that the student has not met yet by as_of
    (assignment submitted, quiz attempt finished). Ties go to the assignment,
    then to the smaller activity id. Enrolments without an open deadline have
    no row (the message then says "open the course").
-#}

with

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

enrolments as (

    select
        enrolment_id,
        courseid,
        userid
    from {{ ref('int_enrolments_active') }}

),

course_modules as (

    select * from {{ lms_ref('course_modules') }}

),

modules as (

    select * from {{ lms_ref('modules') }}

),

assignments as (

    select * from {{ lms_ref('assignments') }}

),

quizzes as (

    select * from {{ lms_ref('quizzes') }}

),

submissions as (

    select * from {{ lms_ref('assign_submissions') }}

),

quiz_attempts as (

    select * from {{ lms_ref('quiz_attempts') }}

),

-- deadlines after as_of of visible assignments and quizzes
hidden_modules as (

    select distinct
        course_modules.courseid,
        modules.module_name,
        course_modules.instance_id
    from course_modules
    inner join modules
        on course_modules.module_id = modules.module_id
    where modules.module_name in ('assign', 'quiz')
        and not course_modules.is_visible

),

deadlines as (

    select
        assignments.courseid,
        'assignment' as next_step_kind,
        'assign' as module_name,
        assignments.assign_id as activity_id,
        assignments.assign_name as activity_name,
        assignments.duedate as due_at
    from assignments
    cross join as_of
    where assignments.duedate > as_of.as_of

    union all

    select
        quizzes.courseid,
        'quiz' as next_step_kind,
        'quiz' as module_name,
        quizzes.quiz_id as activity_id,
        quizzes.quiz_name as activity_name,
        quizzes.timeclose as due_at
    from quizzes
    cross join as_of
    where quizzes.timeclose > as_of.as_of

),

visible_deadlines as (

    select deadlines.*
    from deadlines
    left join hidden_modules
        on deadlines.courseid = hidden_modules.courseid
            and deadlines.module_name = hidden_modules.module_name
            and deadlines.activity_id = hidden_modules.instance_id
    where hidden_modules.instance_id is null

),

-- what the student already did by as_of: submitted assignments, finished quizzes
done_activities as (

    select distinct
        'assign' as module_name,
        submissions.assign_id as activity_id,
        submissions.userid
    from submissions
    cross join as_of
    where submissions.is_latest
        and submissions.submission_status = 'submitted'
        and submissions.timemodified <= as_of.as_of

    union all

    select distinct
        'quiz' as module_name,
        attempts.quiz_id as activity_id,
        attempts.userid
    from quiz_attempts as attempts
    cross join as_of
    where attempts.attempt_state = 'finished'
        and attempts.timefinish <= as_of.as_of

),

open_deadlines as (

    select
        enrolments.enrolment_id,
        visible_deadlines.next_step_kind,
        visible_deadlines.activity_id,
        visible_deadlines.activity_name,
        visible_deadlines.due_at,
        row_number() over (
            partition by enrolments.enrolment_id
            order by visible_deadlines.due_at, visible_deadlines.next_step_kind, visible_deadlines.activity_id
        ) as deadline_rank
    from enrolments
    inner join visible_deadlines
        on enrolments.courseid = visible_deadlines.courseid
    left join done_activities
        on visible_deadlines.module_name = done_activities.module_name
            and visible_deadlines.activity_id = done_activities.activity_id
            and enrolments.userid = done_activities.userid
    where done_activities.userid is null

),

final as (

    select
        enrolment_id,
        next_step_kind,
        activity_id,
        activity_name,
        due_at
    from open_deadlines
    where deadline_rank = 1

)

select * from final
