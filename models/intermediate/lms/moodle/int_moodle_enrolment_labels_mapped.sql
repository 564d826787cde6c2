{#-
    Moodle's training labels (DESIGN.md "Targets", Moodle's course_dropout
    semantics): one row per student enrolment of a finished course, in the
    columns of fct_enrolment_outcomes.

    * dropout: when the course tracks completion with criteria, 1 = not
      completed (completion label below is 0: a student who passed on the
      course grade did not drop out); otherwise 1 = no learning activity in the
      last quarter of the course (var label_last_share_of_course).
    * completion: 1 = a course completion time, or else a final course grade at
      or above the course's pass grade. NULL when the course has neither
      completion criteria nor a pass grade: nothing says what completing means.
    * is_label_eligible: the enrolment covered at least
      label_min_enrolment_share (70%) of the course; others give no training
      labels.

    var label_rules = 'moodle' switches to Moodle's targets exactly
    (core_course\analytics\target\course_dropout and course_completion):
    * dropout with completion criteria: 1 = no course completion time (a
      passing course grade does not count); without criteria: 1 = no log row at
      all of the student in the course (any event, not only learning activity)
      later than end - (end - start) / 4, with no upper bound but as_of (rule
      moodle_no_log_row_after_last_quarter_start);
    * completion: only courses that track completion with criteria give a
      label, 1 = a course completion time; others NULL (rule unknown).
-#}

{%- set label_rules = var('label_rules', 'project') | string | trim | lower -%}
{%- if label_rules not in ('project', 'moodle') -%}
    {{ exceptions.raise_compiler_error(
        "var label_rules = '" ~ label_rules ~ "' is not supported: use 'project' (default) or 'moodle'."
    ) }}
{%- endif %}

with

enrolments as (

    select * from {{ ref('int_enrolments_finished') }}

),

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

{% if label_rules == 'moodle' -%}
-- Moodle's course_dropout: any log row of the student in the course after the last quarter began
log_rows_after_last_quarter_start as (

    select
        log_rows.courseid,
        log_rows.userid,
        count(*) as n_log_rows
    from {{ ref('int_log_events_classified') }} as log_rows
    inner join {{ ref('int_courses_classified') }} as courses
        on log_rows.courseid = courses.courseid
    where coalesce(log_rows.rejection_reason, 'kept') not in (
            'null_log_id', 'duplicate_log_id', 'null_timecreated', 'in_the_future', 'after_as_of'
        )
        and log_rows.timecreated > courses.enddate
            - cast(floor((courses.enddate - courses.startdate) / 4.0) as {{ dbt.type_bigint() }})
    group by log_rows.courseid, log_rows.userid

),

{% endif -%}
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
        enrolments.uses_completion_criteria,
        enrolments.n_events_last_part,
        completions.timecompleted,
        course_grades.final_course_grade,
        course_pass_grades.gradepass,
        coalesce(course_pass_grades.gradepass, 0) > 0 as has_pass_grade,
        {{ 'true' if label_rules == 'moodle' else 'false' }} as uses_moodle_rules,
        {% if label_rules == 'moodle' -%}
            coalesce(log_rows_after_last_quarter_start.n_log_rows, 0) as n_moodle_log_rows_last_part
        {%- else -%}
            cast(null as {{ dbt.type_bigint() }}) as n_moodle_log_rows_last_part
        {%- endif %}
    from enrolments
    left join completions
        on enrolments.courseid = completions.courseid
            and enrolments.userid = completions.userid
    left join course_grades
        on enrolments.courseid = course_grades.courseid
            and enrolments.userid = course_grades.userid
    left join course_pass_grades
        on enrolments.courseid = course_pass_grades.courseid
    {% if label_rules == 'moodle' -%}
    left join log_rows_after_last_quarter_start
        on enrolments.courseid = log_rows_after_last_quarter_start.courseid
            and enrolments.userid = log_rows_after_last_quarter_start.userid
    {%- endif %}

),

completed as (

    select
        labelled.*,
        case
            when labelled.timecompleted is not null then 1
            when not labelled.uses_moodle_rules and labelled.has_pass_grade
                and labelled.final_course_grade >= labelled.gradepass then 1
            when labelled.uses_completion_criteria then 0
            when not labelled.uses_moodle_rules and labelled.has_pass_grade then 0
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
            when uses_moodle_rules then case when n_moodle_log_rows_last_part = 0 then 1 else 0 end
            when n_events_last_part = 0 then 1
            else 0
        end as is_dropout,
        case
            when uses_completion_criteria then 'completion_criteria'
            when uses_moodle_rules then 'moodle_no_log_row_after_last_quarter_start'
            else 'no_activity_in_last_part'
        end as dropout_rule,
        case
            when timecompleted is not null then 'course_completion'
            when not uses_moodle_rules and has_pass_grade then 'course_grade_vs_gradepass'
            when uses_completion_criteria then 'course_completion'
            else 'unknown'
        end as completion_rule,
        coalesce(enrolled_share_of_course >= {{ var('label_min_enrolment_share') }}, false) as is_label_eligible
    from completed

)

select * from final
