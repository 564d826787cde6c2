{#-
    Who may see a course's rows in the early-warning marts: the users Moodle
    gives `moodle/analytics:listinsights` by default — managers, teachers and
    non-editing teachers — by role assignment in the course, in the course's
    category, or at system level (int_role_assignments_resolved). Join the
    marts on courseid to this table to restrict what a teacher sees. Sources
    without teachers (OULAD) give no rows.
-#}

with

granted as (

    select
        courseid,
        userid,
        role_shortname,
        granted_at
    from {{ ref('int_role_assignments_resolved') }}
    where role_shortname in ('manager', 'editingteacher', 'teacher')

),

users as (

    select
        userid,
        username
    from {{ lms_ref('users') }}

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
