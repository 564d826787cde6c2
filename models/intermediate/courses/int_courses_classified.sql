{#-
    Courses with their status at as_of and their course-week range.
    The site front page is left out, and so are the quarantined course ids
    (int_courses_quarantined: impossible dates, duplicated ids): every model
    downstream reads its courses from here, so they never see them. A course is finished when enddate < as_of,
    running when it started and has not finished (also: no end date), and
    not_started when startdate > as_of. last_week is the last course week that
    has data to compute: the week holding the course's last second, or the week
    holding as_of, whichever is earlier.
-#}

with

courses as (

    select * from {{ lms_ref('courses') }}
    where not is_site_course

),

quarantined as (

    select distinct courseid from {{ ref('int_courses_quarantined') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

completion_criteria as (

    select
        courseid,
        count(*) as n_completion_criteria
    from {{ lms_ref('course_completion_criteria') }}
    group by courseid

),

classified as (

    select
        courses.courseid,
        courses.category_id,
        courses.course_fullname,
        courses.course_shortname,
        courses.startdate,
        courses.enddate,
        courses.is_completion_enabled,
        coalesce(completion_criteria.n_completion_criteria, 0) > 0 as has_completion_criteria,
        courses.has_activity_log,
        courses.has_teacher_roles,
        as_of.as_of,
        case
            when courses.startdate > as_of.as_of then 'not_started'
            when courses.enddate < as_of.as_of then 'finished'
            else 'running'
        end as course_status,
        case
            when courses.enddate is not null
                then {{ course_week_of('courses.enddate - 1', 'courses.startdate') }}
        end as planned_weeks,
        {{ course_week_of(
            'case when courses.enddate is not null and courses.enddate - 1 < as_of.as_of'
            ~ ' then courses.enddate - 1 else as_of.as_of end',
            'courses.startdate'
        ) }} as last_week
    from courses
    cross join as_of
    left join completion_criteria
        on courses.courseid = completion_criteria.courseid
    left join quarantined
        on courses.courseid = quarantined.courseid
    where quarantined.courseid is null

),

final as (

    select
        courseid,
        category_id,
        course_fullname,
        course_shortname,
        startdate,
        enddate,
        is_completion_enabled,
        has_completion_criteria,
        has_activity_log,
        has_teacher_roles,
        course_status,
        planned_weeks,
        case when last_week < 0 then 0 else last_week end as last_week,
        enddate is null as has_no_end_date
    from classified

)

select * from final
