{#-
    Moodle's validity rules for samples (a student enrolment), as documented
    treatments: one row per enrolment and rule it breaks. Such an enrolment
    gives no training rows (int_enrolments_finished leaves it out); its
    activity and scores are shown as usual. The rules (Moodle:
    core_course\analytics\target\course_enrolments::is_valid_sample; README
    "Data quality"):

      enrolment_started_too_early        it started more than var
                                         max_course_duration_days (a year plus 4
                                         weeks) before the course start: a leftover
                                         of an earlier run of the course
      enrolment_started_after_course_end it started after the course ended
      enrolment_starts_in_the_future     it starts after as_of

    The start is Moodle's: timestart, or timecreated when timestart is 0
    (int_enrolments_resolved.enrol_start).
-#}

with

enrolments as (

    select
        enrolment_id,
        courseid,
        userid,
        enrol_start
    from {{ ref('int_enrolments_resolved') }}

),

courses as (

    select
        courseid,
        startdate,
        enddate
    from {{ ref('int_courses_classified') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

joined as (

    select
        enrolments.enrolment_id,
        enrolments.courseid,
        enrolments.userid,
        enrolments.enrol_start,
        courses.startdate,
        courses.enddate,
        as_of.as_of
    from enrolments
    inner join courses
        on enrolments.courseid = courses.courseid
    cross join as_of

),

findings as (

    select
        enrolment_id,
        courseid,
        userid,
        'enrolment_started_too_early' as check_name
    from joined
    where enrol_start < startdate - {{ var('max_course_duration_days') }} * {{ seconds_per_day() }}

    union all

    select
        enrolment_id,
        courseid,
        userid,
        'enrolment_started_after_course_end' as check_name
    from joined
    where enddate is not null and enrol_start > enddate

    union all

    select
        enrolment_id,
        courseid,
        userid,
        'enrolment_starts_in_the_future' as check_name
    from joined
    where enrol_start > as_of

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        check_name
    from findings

)

select * from final
