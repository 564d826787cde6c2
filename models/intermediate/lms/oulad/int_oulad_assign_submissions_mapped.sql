{#-
    OULAD submissions of TMAs and CMAs as assignment submissions, in the
    columns of stg_moodle__assign_submissions: submitted at noon of the
    submission day, each the student's latest (OULAD keeps one per assessment).
    Banked results (carried over from an earlier presentation) count as
    submissions on the day OULAD gives.
-#}

with

student_assessments as (

    select * from {{ ref('stg_oulad__student_assessments') }}

),

assignments as (

    select
        assign_id,
        courseid
    from {{ ref('int_oulad_assignments_mapped') }}

),

courses as (

    select
        courseid,
        startdate
    from {{ ref('int_oulad_courses_mapped') }}

),

final as (

    select
        cast(row_number() over (
            order by student_assessments.assessment_id, student_assessments.student_id
        ) as {{ dbt.type_bigint() }}) as submission_id,
        student_assessments.assessment_id as assign_id,
        student_assessments.student_id as userid,
        'submitted' as submission_status,
        courses.startdate + student_assessments.submitted_day * {{ seconds_per_day() }}
        + {{ seconds_per_day() }} / 2 as timemodified,
        true as is_latest
    from student_assessments
    inner join assignments
        on student_assessments.assessment_id = assignments.assign_id
    inner join courses
        on assignments.courseid = courses.courseid
    where student_assessments.submitted_day is not null

)

select * from final
