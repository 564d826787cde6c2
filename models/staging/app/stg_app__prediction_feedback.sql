{#-
    Feedback on predictions given in the web app (source app.prediction_feedback):
    one row per mark, append-only (a later mark of the same person replaces theirs:
    int_prediction_feedback_latest). No rows while the table does not exist yet.
-#}

with

source as (

    {{ app_source_or_empty('prediction_feedback', [
        ('feedback_id', dbt.type_string()),
        ('enrolment_id', dbt.type_string()),
        ('courseid', dbt.type_bigint()),
        ('userid', dbt.type_bigint()),
        ('course_week', dbt.type_bigint()),
        ('model_version', dbt.type_string()),
        ('p_dropout', type_double()),
        ('risk_band', dbt.type_string()),
        ('value', dbt.type_string()),
        ('given_by', dbt.type_string()),
        ('given_at', dbt.type_timestamp()),
    ]) }}

),

final as (

    select
        feedback_id,
        enrolment_id,
        courseid,
        userid,
        course_week,
        model_version,
        p_dropout,
        risk_band,
        value as feedback_value,
        given_by,
        given_at
    from source

)

select * from final
