{#-
    What the pipeline did with questionable source rows: one row per check with
    the number of rows concerned and the documented treatment. Nothing is
    dropped without being counted here.
-#}

with

log_rows as (

    select rejection_reason from {{ ref('int_log_events_classified') }}

),

courses as (

    select * from {{ ref('int_courses_classified') }}

),

row_findings as (

    select
        source_table,
        check_name
    from {{ ref('int_data_quality_rows') }}
    where source_table <> 'logstore_standard_log'

),

users as (

    select * from {{ lms_ref('users') }}

),

source_gaps as (

    select * from {{ lms_ref('source_gaps') }}

),

log_checks as (

    select
        'logstore_standard_log' as source_table,
        coalesce(rejection_reason, 'kept_as_learning_event') as check_name,
        count(*) as n_rows
    from log_rows
    group by rejection_reason

),

course_checks as (

    select
        'course' as source_table,
        'course_without_end_date' as check_name,
        sum(case when has_no_end_date then 1 else 0 end) as n_rows
    from courses

    union all

    select
        'user' as source_table,
        'deleted_user' as check_name,
        sum(case when is_deleted then 1 else 0 end) as n_rows
    from users

),

-- the row-level checks (int_data_quality_rows, ids in mart_data_quality_rows): every one
-- is listed, with 0 when no row breaks it; log rows are counted above, once each
row_check_names as (

    {% for source_table, check_name in [
        ('course', 'duplicate_course_id'),
        ('course', 'course_start_invalid'),
        ('course', 'course_ends_before_start'),
        ('course', 'course_too_long'),
        ('course', 'course_without_learning_events'),
        ('course', 'course_without_students'),
        ('course', 'course_without_teacher'),
        ('user', 'duplicate_user_id'),
        ('user_enrolments', 'enrolment_started_too_early'),
        ('user_enrolments', 'enrolment_started_after_course_end'),
        ('user_enrolments', 'enrolment_starts_in_the_future'),
    ] -%}
        select
            '{{ source_table }}' as source_table,
            '{{ check_name }}' as check_name
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

row_checks as (

    select
        row_check_names.source_table,
        row_check_names.check_name,
        count(row_findings.check_name) as n_rows
    from row_check_names
    left join row_findings
        on row_check_names.source_table = row_findings.source_table
            and row_check_names.check_name = row_findings.check_name
    group by row_check_names.source_table, row_check_names.check_name

),

checks as (

    select * from log_checks
    union all
    select * from course_checks
    union all
    select
        source_table,
        check_name,
        n_rows
    from source_gaps
    union all
    select * from row_checks

),

treatments as (

    select * from {{ ref('data_quality_treatments') }}

),

final as (

    select
        checks.source_table,
        checks.check_name,
        treatments.treatment,
        coalesce(checks.n_rows, 0) as n_rows
    from checks
    left join treatments
        on checks.check_name = treatments.check_name

)

select * from final
