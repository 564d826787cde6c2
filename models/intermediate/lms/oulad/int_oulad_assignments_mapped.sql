{#-
    OULAD tutor-marked (TMA) and computer-marked (CMA) assessments as
    assignments, in the columns of stg_moodle__assignments. The deadline is the
    last second of the assessment's day. Final exams are left out: they happen
    at the end of the presentation and their score is close to the outcome
    itself, so they would only leak the label into the features.
-#}

with

assessments as (

    select * from {{ ref('stg_oulad__assessments') }}
    where assessment_type in ('TMA', 'CMA')

),

courses as (

    select
        courseid,
        code_module,
        code_presentation,
        startdate
    from {{ ref('int_oulad_courses_mapped') }}

),

final as (

    select
        assessments.assessment_id as assign_id,
        courses.courseid,
        {{ dbt.concat([
            'assessments.assessment_type', "' '", dbt.cast('assessments.assessment_id', dbt.type_string()),
            "' (weight '", dbt.cast('assessments.weight', dbt.type_string()), "')'"
        ]) }} as assign_name,
        courses.startdate + (assessments.deadline_day + 1) * {{ seconds_per_day() }} - 1 as duedate,
        cast(null as {{ dbt.type_bigint() }}) as cutoffdate
    from assessments
    inner join courses
        on assessments.code_module = courses.code_module
            and assessments.code_presentation = courses.code_presentation

)

select * from final
