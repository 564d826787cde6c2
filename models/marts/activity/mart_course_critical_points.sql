{{ config(contract={'enforced': true}) }}

{#-
    Where a course loses its students: per course week, how many students
    crossed from active into falling_asleep and from awake (active or falling
    asleep) into asleep, as shares of those who could cross, and how many woke
    up again. The activities after which they stopped are in
    mart_course_critical_activities.
-#}

with

activity as (

    select * from {{ ref('mart_student_activity') }}

),

courses as (

    select
        courseid,
        course_fullname,
        course_shortname
    from {{ ref('int_courses_classified') }}

),

weekly as (

    select
        courseid,
        course_week,
        max(week_end) as week_end,
        min(case when is_complete_week then 1 else 0 end) = 1 as is_complete_week,
        count(*) as n_students,
        sum(case when category = 'active' then 1 else 0 end) as n_active,
        sum(case when category = 'falling_asleep' then 1 else 0 end) as n_falling_asleep,
        sum(case when category = 'asleep' then 1 else 0 end) as n_asleep,
        sum(case when category = 'not_started' then 1 else 0 end) as n_not_started,
        sum(case when previous_category = 'active' then 1 else 0 end) as n_active_before,
        sum(case when previous_category in ('active', 'falling_asleep') then 1 else 0 end) as n_awake_before,
        sum(
            case when previous_category = 'active' and category = 'falling_asleep' then 1 else 0 end
        ) as n_entered_falling_asleep,
        sum(
            case when previous_category in ('active', 'falling_asleep') and category = 'asleep' then 1 else 0 end
        ) as n_entered_asleep,
        sum(
            case when previous_category in ('falling_asleep', 'asleep') and category = 'active' then 1 else 0 end
        ) as n_woke_up
    from activity
    group by courseid, course_week

),

final as (

    select
        cast(weekly.courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(courses.course_shortname as {{ dbt.type_string() }}) as course_shortname,
        cast(weekly.course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(weekly.week_end as {{ dbt.type_timestamp() }}) as week_end,
        cast(weekly.is_complete_week as boolean) as is_complete_week,
        cast(weekly.n_students as {{ dbt.type_bigint() }}) as n_students,
        cast(weekly.n_active as {{ dbt.type_bigint() }}) as n_active,
        cast(weekly.n_falling_asleep as {{ dbt.type_bigint() }}) as n_falling_asleep,
        cast(weekly.n_asleep as {{ dbt.type_bigint() }}) as n_asleep,
        cast(weekly.n_not_started as {{ dbt.type_bigint() }}) as n_not_started,
        cast(weekly.n_entered_falling_asleep as {{ dbt.type_bigint() }}) as n_entered_falling_asleep,
        cast(
            case when weekly.n_active_before > 0 then 1.0 * weekly.n_entered_falling_asleep / weekly.n_active_before end
            as {{ type_double() }}
        ) as share_entered_falling_asleep,
        cast(weekly.n_entered_asleep as {{ dbt.type_bigint() }}) as n_entered_asleep,
        cast(
            case when weekly.n_awake_before > 0 then 1.0 * weekly.n_entered_asleep / weekly.n_awake_before end
            as {{ type_double() }}
        ) as share_entered_asleep,
        cast(weekly.n_woke_up as {{ dbt.type_bigint() }}) as n_woke_up
    from weekly
    inner join courses
        on weekly.courseid = courses.courseid

)

select * from final
