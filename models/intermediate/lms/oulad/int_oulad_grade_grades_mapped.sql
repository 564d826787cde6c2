{#-
    OULAD assessment scores as grades, in the columns of stg_moodle__grade_grades,
    dated at the submission (OULAD does not say when a result was returned, so
    a score is seen from the day it was submitted: slightly earlier than a
    tutor's mark would be in reality). Submissions without a score ('?') give
    no grade.
-#}

with

submissions as (

    select
        assign_id,
        userid,
        timemodified
    from {{ ref('int_oulad_assign_submissions_mapped') }}

),

student_assessments as (

    select
        assessment_id,
        student_id,
        score
    from {{ ref('stg_oulad__student_assessments') }}
    where score is not null

),

final as (

    select
        cast(row_number() over (
            order by submissions.assign_id, submissions.userid
        ) as {{ dbt.type_bigint() }}) as grade_grade_id,
        submissions.assign_id as grade_item_id,
        submissions.userid,
        student_assessments.score as finalgrade,
        submissions.timemodified
    from submissions
    inner join student_assessments
        on submissions.assign_id = student_assessments.assessment_id
            and submissions.userid = student_assessments.student_id

)

select * from final
