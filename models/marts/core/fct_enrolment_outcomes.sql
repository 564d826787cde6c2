{#-
    Training labels: one row per student enrolment of a finished course
    (enddate < as_of), after DESIGN.md "Targets": is_dropout, is_completed, the
    rule that set each, and whether the enrolment may be used for training.
    The rules are the source's own (lms_ref('enrolment_labels')): Moodle's
    course_dropout semantics with the 70% rule
    (int_moodle_enrolment_labels_mapped), OULAD's final_result
    (int_oulad_enrolment_labels_mapped); both start from
    int_enrolments_finished.
-#}

with

labels as (

    select * from {{ lms_ref('enrolment_labels') }}

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        is_completed,
        timecompleted,
        final_course_grade,
        gradepass,
        n_events_last_part,
        enrolled_share_of_course,
        is_dropout,
        dropout_rule,
        completion_rule,
        is_label_eligible
    from labels

)

select * from final
