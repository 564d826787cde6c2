{#-
    Courses with their status at as_of and their course-week range.
    The site front page is left out. A course is finished when enddate < as_of,
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
        course_status,
        planned_weeks,
        case when last_week < 0 then 0 else last_week end as last_week,
        enddate is null as has_no_end_date
    from classified

)

select * from final
