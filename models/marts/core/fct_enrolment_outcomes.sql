{#-
    Training labels: one row per student enrolment of a finished course
    (enddate < as_of), after DESIGN.md "Targets" (Moodle's course_dropout
    semantics).

    * dropout: when the course tracks completion with criteria, 1 = not
      completed (completion label below is 0: a student who passed on the
      course grade did not drop out); otherwise 1 = no learning activity in the last quarter of the
      course (var label_last_share_of_course).
    * completion: 1 = a course completion time, or else a final course grade at
      or above the course's pass grade. NULL when the course has neither
      completion criteria nor a pass grade: nothing says what completing means.
    * is_label_eligible: the enrolment covered at least
      label_min_enrolment_share (70%) of the course; others give no training
      labels.
    * On OULAD (var lms_source): dropout = final_result 'Withdrawn', completion
      = 'Pass' or 'Distinction' (DESIGN.md "Targets"), for every registration
      with a final result (the 70% rule does not apply: a withdrawal is the
      label itself, and its weeks end at the unregistration).
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}
    where course_status = 'finished'

),

enrolments as (

    select * from {{ ref('int_enrolments_resolved') }}

),

events as (

    select
        enrolment_id,
        courseid,
        timecreated
    from {{ ref('int_learning_events_filtered') }}

),

last_part_activity as (

    select
        events.enrolment_id,
        count(*) as n_events_last_part
    from events
    inner join courses
        on events.courseid = courses.courseid
    where events.timecreated >= courses.enddate
        - {{ var('label_last_share_of_course') }} * (courses.enddate - courses.startdate)
        and events.timecreated < courses.enddate
    group by events.enrolment_id

),

{% if lms_source() == 'oulad' -%}
    final_results as (

        select * from {{ ref('int_oulad_final_results_mapped') }}

    ),

    labelled as (

        select
            enrolments.enrolment_id,
            enrolments.courseid,
            enrolments.userid,
            enrolments.enrolled_share_of_course,
            final_results.final_result,
            courses.has_activity_log
        from enrolments
        inner join courses
            on enrolments.courseid = courses.courseid
        left join final_results
            on enrolments.courseid = final_results.courseid
                and enrolments.userid = final_results.userid

    ),

    final as (

        select
            labelled.enrolment_id,
            labelled.courseid,
            labelled.userid,
            case
                when labelled.final_result in ('Pass', 'Distinction') then 1
                when labelled.final_result in ('Withdrawn', 'Fail') then 0
            end as is_completed,
            cast(null as {{ dbt.type_bigint() }}) as timecompleted,
            cast(null as {{ type_double() }}) as final_course_grade,
            cast(null as {{ type_double() }}) as gradepass,
            case
                when labelled.has_activity_log then coalesce(last_part_activity.n_events_last_part, 0)
            end as n_events_last_part,
            labelled.enrolled_share_of_course,
            case
                when labelled.final_result = 'Withdrawn' then 1
                when labelled.final_result is not null then 0
            end as is_dropout,
            'oulad_final_result' as dropout_rule,
            'oulad_final_result' as completion_rule,
            labelled.final_result is not null as is_label_eligible
        from labelled
        left join last_part_activity
            on labelled.enrolment_id = last_part_activity.enrolment_id

    )
{%- else %}
    completions as (

        select
            courseid,
            userid,
            min(timecompleted) as timecompleted
        from {{ ref('stg_moodle__course_completions') }}
        where timecompleted is not null
        group by courseid, userid

    ),

    course_grade_items as (

        select
            courseid,
            grade_item_id,
            gradepass
        from {{ ref('stg_moodle__grade_items') }}
        where itemtype = 'course'

    ),

    course_grades as (

        select
            course_grade_items.courseid,
            grade_grades.userid,
            max(grade_grades.finalgrade) as final_course_grade,
            max(course_grade_items.gradepass) as gradepass
        from course_grade_items
        inner join {{ ref('stg_moodle__grade_grades') }} as grade_grades
            on course_grade_items.grade_item_id = grade_grades.grade_item_id
        group by course_grade_items.courseid, grade_grades.userid

    ),

    course_pass_grades as (

        select
            courseid,
            max(gradepass) as gradepass
        from course_grade_items
        group by courseid

    ),

    labelled as (

        select
            enrolments.enrolment_id,
            enrolments.courseid,
            enrolments.userid,
            enrolments.enrolled_share_of_course,
            completions.timecompleted,
            course_grades.final_course_grade,
            course_pass_grades.gradepass,
            courses.is_completion_enabled and courses.has_completion_criteria as uses_completion_criteria,
            coalesce(course_pass_grades.gradepass, 0) > 0 as has_pass_grade,
            coalesce(last_part_activity.n_events_last_part, 0) as n_events_last_part
        from enrolments
        inner join courses
            on enrolments.courseid = courses.courseid
        left join completions
            on enrolments.courseid = completions.courseid
                and enrolments.userid = completions.userid
        left join course_grades
            on enrolments.courseid = course_grades.courseid
                and enrolments.userid = course_grades.userid
        left join course_pass_grades
            on enrolments.courseid = course_pass_grades.courseid
        left join last_part_activity
            on enrolments.enrolment_id = last_part_activity.enrolment_id

    ),

    completed as (

        select
            labelled.*,
            case
                when labelled.timecompleted is not null then 1
                when labelled.has_pass_grade and labelled.final_course_grade >= labelled.gradepass then 1
                when labelled.uses_completion_criteria or labelled.has_pass_grade then 0
            end as is_completed
        from labelled

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
            case
                when uses_completion_criteria then case when is_completed = 1 then 0 else 1 end
                when n_events_last_part = 0 then 1
                else 0
            end as is_dropout,
            case
                when uses_completion_criteria then 'completion_criteria'
                else 'no_activity_in_last_part'
            end as dropout_rule,
            case
                when timecompleted is not null then 'course_completion'
                when has_pass_grade then 'course_grade_vs_gradepass'
                when uses_completion_criteria then 'course_completion'
                else 'unknown'
            end as completion_rule,
            coalesce(enrolled_share_of_course >= {{ var('label_min_enrolment_share') }}, false) as is_label_eligible
        from completed

    )

{%- endif %}

select * from final
