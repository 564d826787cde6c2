{#-
    The offending rows behind mart_data_quality, with their ids: one row per
    row-level check and source row (a quarantined course or user, a course or
    enrolment that breaks one of Moodle's validity rules, a log row stamped in
    the future or left out of the default as_of), with the treatment applied.
    Fix them in the LMS, or leave them: the rest of the site builds.
-#}

with

findings as (

    select * from {{ ref('int_data_quality_rows') }}

),

treatments as (

    select * from {{ ref('data_quality_treatments') }}

),

final as (

    select
        findings.check_name,
        findings.source_table,
        findings.row_id,
        findings.courseid,
        findings.detail,
        treatments.treatment
    from findings
    left join treatments
        on findings.check_name = treatments.check_name

)

select * from final
