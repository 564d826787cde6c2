{#-
    Feedback on predictions per dropout model version, course and course week:
    how many predictions were marked, and how (the latest mark of each person,
    int_prediction_feedback_latest), next to how many predictions that model made
    for the course that week (mart_student_scores). Only groups with feedback.
    The feedback lives outside dbt (source app.prediction_feedback): no build or
    --full-refresh loses it.
-#}

{%- set values = ['useful', 'not_useful', 'fixed', 'incorrectly_flagged'] %}

with

feedback as (

    select
        enrolment_id,
        courseid,
        course_week,
        feedback_value,
        given_at,
        coalesce(model_version, 'none') as model_version
    from {{ ref('int_prediction_feedback_latest') }}

),

scores as (

    select
        enrolment_id,
        courseid,
        course_week,
        coalesce(dropout_model_version, 'none') as model_version
    from {{ ref('mart_student_scores') }}

),

predictions as (

    select
        model_version,
        courseid,
        course_week,
        count(*) as n_predictions
    from scores
    group by model_version, courseid, course_week

),

marks as (

    select
        model_version,
        courseid,
        course_week,
        count(*) as n_marks,
        count(distinct enrolment_id) as n_predictions_marked,
        {%- for value in values %}
            sum(case when feedback_value = '{{ value }}' then 1 else 0 end) as n_{{ value }},
        {%- endfor %}
        max(given_at) as last_given_at
    from feedback
    group by model_version, courseid, course_week

),

final as (

    select
        cast(marks.model_version as {{ dbt.type_string() }}) as model_version,
        cast(marks.courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(marks.course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(predictions.n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(marks.n_predictions_marked as {{ dbt.type_bigint() }}) as n_predictions_marked,
        cast(marks.n_marks as {{ dbt.type_bigint() }}) as n_marks,
        {%- for value in values %}
            cast(marks.n_{{ value }} as {{ dbt.type_bigint() }}) as n_{{ value }},
        {%- endfor %}
        cast(marks.n_useful as {{ type_double() }}) / marks.n_marks as share_useful,
        cast(marks.n_incorrectly_flagged as {{ type_double() }}) / marks.n_marks as share_incorrectly_flagged,
        cast(marks.last_given_at as {{ dbt.type_timestamp() }}) as last_given_at
    from marks
    left join predictions
        on marks.model_version = predictions.model_version
            and marks.courseid = predictions.courseid
            and marks.course_week = predictions.course_week

)

select * from final
