{#-
    One gradebook item per OULAD TMA and CMA, in the columns of
    stg_moodle__grade_items: scores are 0-100, 40 is the pass mark. There is no
    course-total item: OULAD's outcome is final_result (fct_enrolment_outcomes).
-#}

with

assignments as (

    select
        assign_id,
        courseid
    from {{ ref('int_oulad_assignments_mapped') }}

),

final as (

    select
        assign_id as grade_item_id,
        courseid,
        'mod' as itemtype,
        'assign' as itemmodule,
        assign_id as iteminstance,
        cast(100 as {{ type_double() }}) as grademax,
        cast(40 as {{ type_double() }}) as gradepass
    from assignments

)

select * from final
