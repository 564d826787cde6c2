{#-
    Moodle's validity rules for analysables (a course), as documented
    treatments: one row per course and rule it breaks, with what the rule
    withholds. The rules (Moodle: core_course\analytics\target\course_enrolments
    ::is_valid_analysable; README "Data quality"):

      course_too_long                  enddate - startdate longer than
                                       var max_course_duration_days (a year plus
                                       4 weeks): no training labels
      course_without_learning_events   the course has started and has students but its
                                       log holds no learning event (up to as_of) although the
                                       source logs activity: no training labels and
                                       no predictions (an empty or broken log must not
                                       read as "every student dropped out")
      course_without_students          no student enrolment: no predictions (and no
                                       rows in the enrolment-based marts)
      course_without_teacher           no teacher or editingteacher role in the course
                                       (in the course, its category or the site), where
                                       the source records teachers: no predictions

    Courses with impossible dates or duplicated ids never get here: they are
    quarantined before (int_courses_quarantined). Training reads the courses
    without a training exclusion (int_enrolments_finished); mart_student_scores
    gives the courses with a prediction exclusion NULL scores and a score_note.
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}

),

learning_courses as (

    select distinct courseid from {{ ref('int_learning_events_filtered') }}

),

student_courses as (

    select distinct courseid from {{ ref('int_enrolments_resolved') }}

),

teacher_courses as (

    select distinct courseid from {{ ref('int_role_assignments_resolved') }}
    where role_shortname in ('editingteacher', 'teacher')

),

findings as (

    select
        courseid,
        'course_too_long' as check_name,
        true as excludes_training_labels,
        false as excludes_predictions
    from courses
    where enddate - startdate > {{ var('max_course_duration_days') }} * {{ seconds_per_day() }}

    union all

    select
        courses.courseid,
        'course_without_learning_events' as check_name,
        true as excludes_training_labels,
        true as excludes_predictions
    from courses
    inner join student_courses
        on courses.courseid = student_courses.courseid
    left join learning_courses
        on courses.courseid = learning_courses.courseid
    where courses.has_activity_log
        and courses.course_status <> 'not_started'
        and learning_courses.courseid is null

    union all

    select
        courses.courseid,
        'course_without_students' as check_name,
        true as excludes_training_labels,
        true as excludes_predictions
    from courses
    left join student_courses
        on courses.courseid = student_courses.courseid
    where student_courses.courseid is null

    union all

    select
        courses.courseid,
        'course_without_teacher' as check_name,
        false as excludes_training_labels,
        true as excludes_predictions
    from courses
    left join teacher_courses
        on courses.courseid = teacher_courses.courseid
    where courses.has_teacher_roles
        and teacher_courses.courseid is null

),

final as (

    select
        courseid,
        check_name,
        excludes_training_labels,
        excludes_predictions
    from findings

)

select * from final
