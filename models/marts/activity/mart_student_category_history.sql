{{
    config(
        materialized='incremental',
        unique_key=['run_as_of', 'enrolment_id'],
        incremental_strategy='delete+insert',
        full_refresh=false,
        on_schema_change='append_new_columns'
    )
}}

{#-
    Append-only history of what each run said: every run adds each enrolment's
    current category, keyed by the run's as_of. A rerun with the same as_of
    replaces its own rows (same data, same history), so the table says what a
    curator saw at each data state even after the source data are corrected.
    Protected from --full-refresh (full_refresh=false): history cannot be rebuilt.
-#}

with

current_rows as (

    select * from {{ ref('mart_student_activity') }}
    where is_current

),

as_of as (

    select
        as_of,
        run_started_at
    from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        as_of.as_of as run_as_of,
        as_of.run_started_at,
        current_rows.enrolment_id,
        current_rows.courseid,
        current_rows.userid,
        current_rows.course_week,
        current_rows.category,
        current_rows.category_reason
    from current_rows
    cross join as_of

)

select * from final
