{#-
    Moodle's role assignments in canonical columns: who holds which role
    (role.shortname) in which context. Only the contexts a course's visibility
    depends on are kept: the course itself (contextlevel 50), a course category
    (40) and the whole site (10); Moodle's context levels are named here and
    nowhere else.
-#}

with

role_assignments as (

    select * from {{ ref('stg_moodle__role_assignments') }}

),

contexts as (

    select * from {{ ref('stg_moodle__contexts') }}

),

roles as (

    select * from {{ ref('stg_moodle__roles') }}

),

final as (

    select
        role_assignments.userid,
        roles.role_shortname,
        case contexts.contextlevel
            when 50 then 'course'
            when 40 then 'category'
            when 10 then 'system'
        end as context_level,
        case when contexts.contextlevel in (40, 50) then contexts.instanceid end as instance_id
    from role_assignments
    inner join contexts
        on role_assignments.context_id = contexts.context_id
    inner join roles
        on role_assignments.role_id = roles.role_id
    where contexts.contextlevel in (10, 40, 50)

)

select * from final
