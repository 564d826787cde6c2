{#-
    Quiz attempts and activity grades per student enrolment and course week,
    as increments that the feature mart sums up to each week.

    * Quiz attempts count in the week they finished (state 'finished'); their
      score is attempt marks / the quiz's total marks (0..1).
    * Activity grades (grade items of type 'mod', graded) count in the week the
      grade was last modified, as finalgrade / grademax (0..1). Moodle keeps only
      a grade's current value, so a grade changed after a week's end is not seen
      by that week at all (never its newer value): features never look ahead.
    * The course total is not a feature (it is the completion label's source).
    Nothing after as_of is seen. OULAD has no quiz attempts (its computer-marked
    assessments are assignments with scores: int_oulad_quiz_attempts_mapped is empty).
-#}

with

enrolments as (

    select
        enrolment_id,
        courseid,
        userid,
        first_week
    from {{ ref('int_enrolments_resolved') }}

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

quizzes as (

    select * from {{ lms_ref('quizzes') }}

),

quiz_attempts as (

    select * from {{ lms_ref('quiz_attempts') }}
    where attempt_state = 'finished' and timefinish is not null

),

grade_items as (

    select * from {{ lms_ref('grade_items') }}
    where itemtype = 'mod' and grademax > 0

),

grade_grades as (

    select * from {{ lms_ref('grade_grades') }}
    where finalgrade is not null

),

quiz_results as (

    select
        enrolments.enrolment_id,
        greatest({{ course_week_of('quiz_attempts.timefinish', 'courses.startdate') }}, enrolments.first_week)
            as course_week,
        1 as n_quiz_attempts,
        case
            when quizzes.sumgrades > 0 and quiz_attempts.attempt_sumgrades is not null
                then quiz_attempts.attempt_sumgrades / quizzes.sumgrades
        end as quiz_score,
        cast(null as {{ type_double() }}) as grade_fraction
    from quiz_attempts
    inner join quizzes
        on quiz_attempts.quiz_id = quizzes.quiz_id
    inner join enrolments
        on quizzes.courseid = enrolments.courseid
            and quiz_attempts.userid = enrolments.userid
    inner join courses
        on enrolments.courseid = courses.courseid
    cross join as_of
    where quiz_attempts.timefinish <= as_of.as_of

),

activity_grades as (

    select
        enrolments.enrolment_id,
        greatest({{ course_week_of('grade_grades.timemodified', 'courses.startdate') }}, enrolments.first_week)
            as course_week,
        0 as n_quiz_attempts,
        cast(null as {{ type_double() }}) as quiz_score,
        least(greatest(grade_grades.finalgrade / grade_items.grademax, 0.0), 1.0) as grade_fraction
    from grade_grades
    inner join grade_items
        on grade_grades.grade_item_id = grade_items.grade_item_id
    inner join enrolments
        on grade_items.courseid = enrolments.courseid
            and grade_grades.userid = enrolments.userid
    inner join courses
        on enrolments.courseid = courses.courseid
    cross join as_of
    where grade_grades.timemodified <= as_of.as_of

),

unioned as (

    select * from quiz_results
    union all
    select * from activity_grades

),

final as (

    select
        enrolment_id,
        course_week,
        sum(n_quiz_attempts) as n_quiz_attempts,
        count(quiz_score) as n_quiz_scores,
        coalesce(sum(quiz_score), 0) as quiz_score_sum,
        count(grade_fraction) as n_grades,
        coalesce(sum(grade_fraction), 0) as grade_fraction_sum
    from unioned
    group by enrolment_id, course_week

)

select * from final
