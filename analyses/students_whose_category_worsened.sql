-- Students to contact today: whose activity category worsened in their current
-- week, in running courses, most severe first. Compile with
--   dbt compile --select students_whose_category_worsened
-- and run the SQL from target/compiled/ against the warehouse.

with

activity as (

    select * from {{ ref('mart_student_activity') }}
    where is_current and change_direction = 'worsened'

),

courses as (

    select * from {{ ref('int_courses_classified') }}
    where course_status = 'running'

),

users as (

    select * from {{ lms_ref('users') }}

),

final as (

    select
        courses.course_shortname,
        users.firstname,
        users.lastname,
        users.email,
        activity.previous_category,
        activity.category,
        activity.category_reason,
        activity.days_since_last_activity,
        activity.last_activity_at
    from activity
    inner join courses
        on activity.courseid = courses.courseid
    inner join users
        on activity.userid = users.userid
    order by
        courses.course_shortname asc,
        activity.category desc,
        activity.days_since_last_activity desc

)

select * from final
