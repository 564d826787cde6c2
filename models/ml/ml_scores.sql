{#-
    The classifiers' scores of the running courses, typed, on every engine: one
    row per enrolment, course week and target (dropout, completion) with the
    calibrated probability, log-odds and the top three reasons. The DuckDB
    Python model ml_student_scores_raw, or the table of `early-warning ml-job`
    elsewhere (macro ml_relation).
-#}

with

scores as (

    select * from {{ ml_relation('ml_student_scores_raw') }}

),

final as (

    select
        cast(enrolment_id as varchar) as enrolment_id,
        cast(courseid as bigint) as courseid,
        cast(userid as bigint) as userid,
        cast(course_week as bigint) as course_week,
        cast(target as varchar) as target,
        cast(model_version as varchar) as model_version,
        cast(probability as double precision) as probability,
        cast(log_odds as double precision) as log_odds,
        cast(baseline_log_odds as double precision) as baseline_log_odds,
        cast(reason_1_feature as varchar) as reason_1_feature,
        cast(reason_1_value as double precision) as reason_1_value,
        cast(reason_1_contribution as double precision) as reason_1_contribution,
        cast(reason_1_direction as varchar) as reason_1_direction,
        cast(reason_1_text as varchar) as reason_1_text,
        cast(reason_2_feature as varchar) as reason_2_feature,
        cast(reason_2_value as double precision) as reason_2_value,
        cast(reason_2_contribution as double precision) as reason_2_contribution,
        cast(reason_2_direction as varchar) as reason_2_direction,
        cast(reason_2_text as varchar) as reason_2_text,
        cast(reason_3_feature as varchar) as reason_3_feature,
        cast(reason_3_value as double precision) as reason_3_value,
        cast(reason_3_contribution as double precision) as reason_3_contribution,
        cast(reason_3_direction as varchar) as reason_3_direction,
        cast(reason_3_text as varchar) as reason_3_text
    from scores

)

select * from final
