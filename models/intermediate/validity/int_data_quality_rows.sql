{#-
    The source rows behind the row-level data-quality checks, with their ids:
    one row per check and offending row (a course, a user, an enrolment, a log
    row). mart_data_quality counts them, mart_data_quality_rows lists them with
    the treatment. A new row-level check adds a branch here and its treatment
    to the seed data_quality_treatments.

    Log rows are listed only for the checks that point at bad data: stamped in
    the future, or after a default as_of that left them out as stray rows (rows
    after an as_of set by the var are the user's choice, not bad data).
-#}

{%- set string_type = api.Column.translate_type('string') %}

with

quarantined_courses as (

    select * from {{ ref('int_courses_quarantined') }}

),

quarantined_users as (

    select * from {{ ref('int_users_quarantined') }}

),

course_checks as (

    select * from {{ ref('int_course_validity_checks') }}

),

enrolment_checks as (

    select * from {{ ref('int_enrolment_validity_checks') }}

),

as_of as (

    select as_of_origin from {{ ref('int_as_of_resolved') }}

),

stray_log_rows as (

    select
        log_rows.log_id,
        log_rows.courseid,
        log_rows.rejection_reason,
        log_rows.timecreated
    from {{ ref('int_log_events_classified') }} as log_rows
    cross join as_of
    where log_rows.rejection_reason = 'in_the_future'
        or (log_rows.rejection_reason = 'after_as_of' and as_of.as_of_origin <> 'var')

),

unioned as (

    select
        check_name,
        'course' as source_table,
        {{ dbt.cast('courseid', string_type) }} as row_id,
        courseid,
        detail
    from quarantined_courses

    union all

    select
        check_name,
        'user' as source_table,
        {{ dbt.cast('userid', string_type) }} as row_id,
        cast(null as {{ dbt.type_bigint() }}) as courseid,
        detail
    from quarantined_users

    union all

    select
        check_name,
        'course' as source_table,
        {{ dbt.cast('courseid', string_type) }} as row_id,
        courseid,
        cast(null as {{ string_type }}) as detail
    from course_checks

    union all

    select
        check_name,
        'user_enrolments' as source_table,
        enrolment_id as row_id,
        courseid,
        cast(null as {{ string_type }}) as detail
    from enrolment_checks

    union all

    select
        rejection_reason as check_name,
        'logstore_standard_log' as source_table,
        {{ dbt.cast('log_id', string_type) }} as row_id,
        courseid,
        {{ dbt.concat(["'timecreated = '", dbt.cast('timecreated', string_type)]) }} as detail
    from stray_log_rows

),

final as (

    select
        check_name,
        source_table,
        row_id,
        courseid,
        detail
    from unioned

)

select * from final
