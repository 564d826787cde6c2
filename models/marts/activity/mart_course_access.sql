{#-
    Who may see a course's rows in the early-warning marts: the users Moodle
    gives `moodle/analytics:listinsights` by default — managers, teachers and
    non-editing teachers — by role assignment in the course, in the course's
    category, or at system level. (Sub-categories are not followed: Moodle's
    context.path is not in the source contract.) Join the marts on courseid to
    this table to restrict what a teacher sees.
-#}

with
{% if lms_source() != 'oulad' %}
    role_assignments as (

        select * from {{ ref('stg_moodle__role_assignments') }}

    ),

    contexts as (

        select * from {{ ref('stg_moodle__contexts') }}

    ),

    roles as (

        select * from {{ ref('stg_moodle__roles') }}
        where role_shortname in ('manager', 'editingteacher', 'teacher')

    ),
{% endif %}

users as (

    select * from {{ lms_ref('users') }}
    where not is_deleted

),

courses as (

    select
        courseid,
        category_id
    from {{ ref('int_courses_classified') }}

),

assignments as (
    {% if lms_source() == 'oulad' %}
    -- OULAD names no teachers: nobody gets teacher access
        select
            userid,
            'teacher' as role_shortname,
            50 as contextlevel,
            userid as instanceid
        from users
        where false
    {% else %}
        select
            role_assignments.userid,
            roles.role_shortname,
            contexts.contextlevel,
            contexts.instanceid
        from role_assignments
        inner join roles
            on role_assignments.role_id = roles.role_id
        inner join contexts
            on role_assignments.context_id = contexts.context_id
        where contexts.contextlevel in (10, 40, 50)
    {% endif %}
),

granted as (

    select distinct
        courses.courseid,
        assignments.userid,
        assignments.role_shortname,
        case assignments.contextlevel
            when 50 then 'course'
            when 40 then 'category'
            else 'system'
        end as granted_at
    from assignments
    inner join courses
        on
            (assignments.contextlevel = 50 and assignments.instanceid = courses.courseid)
            or (assignments.contextlevel = 40 and assignments.instanceid = courses.category_id)
            or assignments.contextlevel = 10

),

final as (

    select
        granted.courseid,
        granted.userid,
        users.username,
        granted.role_shortname,
        granted.granted_at
    from granted
    inner join users
        on granted.userid = users.userid

)

select * from final
