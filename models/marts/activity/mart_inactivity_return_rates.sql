{#-
    Evidence for the category thresholds: in finished courses, of the students
    who stayed inactive for d days (d = 1..60), the share who came back to
    learning activity before the course (or their enrolment) ended. The first
    d where that share falls below one half is flagged, next to the configured
    thresholds (vars category_falling_asleep_days, category_asleep_days).
    A gap is the run of whole days without activity between two active days;
    the last gap (from the last active day to the end) never comes back.
-#}

with

daily as (

    select
        enrolment_id,
        courseid,
        course_day
    from {{ ref('fct_activity_daily') }}

),

courses as (

    select
        courseid,
        startdate,
        enddate
    from {{ ref('int_courses_classified') }}
    where course_status = 'finished'

),

enrolments as (

    select
        enrolment_id,
        enrol_end
    from {{ ref('int_enrolments_resolved') }}

),

active_days as (

    select
        daily.enrolment_id,
        daily.course_day,
        lead(daily.course_day) over (partition by daily.enrolment_id order by daily.course_day) as next_active_day,
        {{ course_day_of(
            'least(courses.enddate, coalesce(enrolments.enrol_end, courses.enddate)) - 1',
            'courses.startdate'
        ) }} as last_course_day
    from daily
    inner join courses
        on daily.courseid = courses.courseid
    inner join enrolments
        on daily.enrolment_id = enrolments.enrolment_id

),

gaps as (

    select
        case
            when
                next_active_day is not null and next_active_day <= last_course_day
                then next_active_day - course_day - 1
            else last_course_day - course_day
        end as inactive_days,
        next_active_day is not null and next_active_day <= last_course_day as came_back
    from active_days
    where course_day <= last_course_day

),

thresholds as (

    {{ integers_from_one(60) }}

),

rates as (

    select
        thresholds.n as inactive_days,
        count(gaps.inactive_days) as n_reached,
        sum(case when gaps.came_back then 1 else 0 end) as n_came_back
    from thresholds
    left join gaps
        on thresholds.n <= gaps.inactive_days
    group by thresholds.n

),

with_share as (

    select
        inactive_days,
        cast(n_reached as {{ dbt.type_bigint() }}) as n_reached,
        cast(coalesce(n_came_back, 0) as {{ dbt.type_bigint() }}) as n_came_back,
        cast(case when n_reached > 0 then 1.0 * n_came_back / n_reached end as {{ type_double() }}) as share_came_back
    from rates

),

first_below_half as (

    select min(inactive_days) as inactive_days
    from with_share
    where share_came_back < 0.5

),

final as (

    select
        with_share.inactive_days,
        with_share.n_reached,
        with_share.n_came_back,
        with_share.share_came_back,
        coalesce(with_share.inactive_days = first_below_half.inactive_days, false) as is_first_below_half,
        {{ var('category_falling_asleep_days') }} as configured_falling_asleep_days,
        {{ var('category_asleep_days') }} as configured_asleep_days
    from with_share
    cross join first_below_half

)

select * from final
