{#-
    Feedback per dropout model version, the companion of mart_model_evaluation:
    what the people using the predictions said of them (the latest mark of each
    person on each prediction), next to the number of predictions the version made.
    Only versions with feedback.
-#}

{%- set values = ['useful', 'not_useful', 'fixed', 'incorrectly_flagged'] %}

with

by_week as (

    select * from {{ ref('mart_prediction_feedback') }}

),

totals as (

    select
        model_version,
        count(distinct courseid) as n_courses,
        sum(n_predictions) as n_predictions,
        sum(n_predictions_marked) as n_predictions_marked,
        sum(n_marks) as n_marks,
        {%- for value in values %}
            sum(n_{{ value }}) as n_{{ value }},
        {%- endfor %}
        max(last_given_at) as last_given_at
    from by_week
    group by model_version

),

final as (

    select
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        cast(n_courses as {{ dbt.type_bigint() }}) as n_courses,
        cast(n_predictions as {{ dbt.type_bigint() }}) as n_predictions,
        cast(n_predictions_marked as {{ dbt.type_bigint() }}) as n_predictions_marked,
        cast(n_marks as {{ dbt.type_bigint() }}) as n_marks,
        {%- for value in values %}
            cast(n_{{ value }} as {{ dbt.type_bigint() }}) as n_{{ value }},
        {%- endfor %}
        cast(n_useful as {{ type_double() }}) / n_marks as share_useful,
        cast(n_incorrectly_flagged as {{ type_double() }}) / n_marks as share_incorrectly_flagged,
        cast(last_given_at as {{ dbt.type_timestamp() }}) as last_given_at
    from totals

)

select * from final
