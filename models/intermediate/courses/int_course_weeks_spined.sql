{#-
    The course-week grid: one row per course and course week 1..last_week.
    Week k covers [week_start, week_end) = [startdate + 7(k-1) days, startdate + 7k days).
    feature_cutoff is the exclusive upper time bound of what a week's features may
    see: the week's end, or just after as_of for the week holding as_of.
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}
    where last_week >= 1

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

week_numbers as (

    {{ integers_from_one('(select coalesce(max(last_week), 0) from courses)') }}

),

grid as (

    select
        courses.courseid,
        week_numbers.n as course_week,
        courses.startdate + (week_numbers.n - 1) * {{ seconds_per_week() }} as week_start,
        courses.startdate + week_numbers.n * {{ seconds_per_week() }} as week_end
    from courses
    inner join week_numbers
        on courses.last_week >= week_numbers.n

),

final as (

    select
        grid.courseid,
        grid.course_week,
        grid.week_start,
        grid.week_end,
        least(grid.week_end, as_of.as_of + 1) as feature_cutoff,
        grid.week_end <= as_of.as_of + 1 as is_complete_week
    from grid
    cross join as_of

)

select * from final
