{#-
    Who holds which role in which course: one row per course, user, role and
    the level it is granted at. A role assigned in a course holds in that
    course (granted_at 'course'), one assigned in a course category in every
    course of that category ('category'; sub-categories are not followed:
    Moodle's context.path is not in the source contract), one assigned at site
    level in every course ('system'). Role assignments of deleted users and
    of quarantined user ids (int_users_quarantined) are void. The one place that turns role assignments into course membership and
    visibility: students (int_enrolments_resolved) and who may see a course
    (mart_course_access).
-#}

with

role_assignments as (

    select * from {{ lms_ref('role_assignments') }}

),

courses as (

    select
        courseid,
        category_id
    from {{ ref('int_courses_classified') }}

),

users as (

    select userid from {{ lms_ref('users') }}
    where not is_deleted

),

quarantined_users as (

    select userid from {{ ref('int_users_quarantined') }}

),

-- the contexts each course inherits roles from: itself, its category, the site (an
-- equality join on them; an OR join would compare every assignment with every course)
course_contexts as (

    select
        courseid,
        'course' as context_level,
        courseid as instance_id
    from courses

    union all

    select
        courseid,
        'category' as context_level,
        category_id as instance_id
    from courses

    union all

    select
        courseid,
        'system' as context_level,
        0 as instance_id
    from courses

),

granted as (

    select
        course_contexts.courseid,
        role_assignments.userid,
        role_assignments.role_shortname,
        role_assignments.context_level as granted_at
    from role_assignments
    inner join course_contexts
        on role_assignments.context_level = course_contexts.context_level
            and coalesce(role_assignments.instance_id, 0) = course_contexts.instance_id

),

final as (

    select distinct
        granted.courseid,
        granted.userid,
        granted.role_shortname,
        granted.granted_at
    from granted
    inner join users
        on granted.userid = users.userid
    left join quarantined_users
        on granted.userid = quarantined_users.userid
    where quarantined_users.userid is null

)

select * from final
