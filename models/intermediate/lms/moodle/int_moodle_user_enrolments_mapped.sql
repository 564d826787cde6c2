{#-
    Moodle's user enrolments in canonical columns: one row per user enrolment
    (mdl_user_enrolments) with its course (through the enrolment method), its
    start (timestart, or timecreated when unrestricted) and end (timeend, NULL
    when open), and whether it is active (the user enrolment is active and its
    enrolment method enabled). Several rows of one user in one course (manual
    and self enrolment) are merged by int_enrolments_resolved.
-#}

with

user_enrolments as (

    select * from {{ ref('stg_moodle__user_enrolments') }}

),

enrol_methods as (

    select * from {{ ref('stg_moodle__enrol_methods') }}

),

final as (

    select
        enrol_methods.courseid,
        user_enrolments.userid,
        user_enrolments.timeend as ends_at,
        coalesce(user_enrolments.timestart, user_enrolments.timecreated) as starts_at,
        user_enrolments.is_active and enrol_methods.is_enabled as is_active
    from user_enrolments
    inner join enrol_methods
        on user_enrolments.enrol_id = enrol_methods.enrol_id

)

select * from final
