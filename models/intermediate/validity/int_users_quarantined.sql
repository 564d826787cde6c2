{#-
    User rows that cannot be attributed safely, quarantined: a user id that
    appears more than once in the user table (which copy is right is unknown).
    Their role assignments are void (int_role_assignments_resolved), so they
    get no enrolments, scores or messages, and their log rows are rejected as
    'quarantined_user' (int_log_events_classified); the rest of the site
    builds. Listed with their ids in mart_data_quality_rows.
-#}

with

users as (

    select userid from {{ lms_ref('users') }}

),

final as (

    select
        userid,
        'duplicate_user_id' as check_name,
        {{ dbt.concat([
            "'the id appears '", dbt.cast('count(*)', api.Column.translate_type('string')), "' times'"
        ]) }} as detail
    from users
    group by userid
    having count(*) > 1

)

select * from final
