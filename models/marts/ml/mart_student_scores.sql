{#-
    The scores a teacher acts on: one row per student enrolment and course week
    of the courses running at as_of, with the calibrated dropout and completion
    probabilities, a risk band from p_dropout (vars ml_risk_high_threshold,
    ml_risk_medium_threshold) and the top three reasons behind p_dropout.
    Rows without a model (no finished course has given labels yet) keep NULL
    scores and say why in score_note; so do the courses that one of Moodle's
    validity rules excludes from predictions (int_course_validity_checks: no
    learning events, no teacher) and the rows of a model the guard for teachers
    withholds (ml_models.is_withheld: out-of-fold ROC AUC under 0.6 or Brier
    score not better than the constant).

    score_note vocabulary (doc score_note): 'not scored: <check_name>' (a validity
    rule), 'not scored: ...' (no model at all), 'p_<target> not scored: ...' (no
    model of that target), 'p_<target> withheld: ...' (the model guard), joined
    with '; '.
-#}

with

weeks as (

    select
        features.enrolment_id,
        features.courseid,
        features.userid,
        features.course_week,
        features.week_end_at,
        features.is_complete_week
    from {{ ref('fct_enrolment_week_features') }} as features
    inner join {{ ref('int_courses_classified') }} as courses
        on features.courseid = courses.courseid
    where courses.course_status = 'running'

),

-- courses a validity rule excludes from predictions: the first rule by name gives the note
excluded_courses as (

    select
        courseid,
        min(check_name) as check_name
    from {{ ref('int_course_validity_checks') }}
    where excludes_predictions
    group by courseid

),

scores as (

    select * from {{ ref('ml_scores') }}

),

models as (

    select * from {{ ref('ml_models') }}

),

dropout as (

    select * from scores
    where target = 'dropout'

),

completion as (

    select * from scores
    where target = 'completion'

),

joined as (

    select
        weeks.enrolment_id,
        weeks.courseid,
        weeks.userid,
        weeks.course_week,
        weeks.week_end_at,
        weeks.is_complete_week,
        dropout.model_version as dropout_model_version,
        completion.model_version as completion_model_version,
        dropout_models.withheld_reason as dropout_withheld_reason,
        completion_models.withheld_reason as completion_withheld_reason,
        excluded_courses.check_name as exclusion_check,
        case when not dropout_models.is_withheld then dropout.probability end as p_dropout,
        case when not completion_models.is_withheld then completion.probability end as p_completion,
        case when not dropout_models.is_withheld then dropout.reason_1_text end as reason_1,
        case when not dropout_models.is_withheld then dropout.reason_2_text end as reason_2,
        case when not dropout_models.is_withheld then dropout.reason_3_text end as reason_3,
        case when not dropout_models.is_withheld then dropout.reason_1_feature end as reason_1_feature,
        case when not dropout_models.is_withheld then dropout.reason_1_value end as reason_1_value,
        case
            when not dropout_models.is_withheld then dropout.reason_1_contribution
        end as reason_1_contribution,
        case when not dropout_models.is_withheld then dropout.reason_2_feature end as reason_2_feature,
        case when not dropout_models.is_withheld then dropout.reason_2_value end as reason_2_value,
        case
            when not dropout_models.is_withheld then dropout.reason_2_contribution
        end as reason_2_contribution,
        case when not dropout_models.is_withheld then dropout.reason_3_feature end as reason_3_feature,
        case when not dropout_models.is_withheld then dropout.reason_3_value end as reason_3_value,
        case
            when not dropout_models.is_withheld then dropout.reason_3_contribution
        end as reason_3_contribution
    from weeks
    left join excluded_courses
        on weeks.courseid = excluded_courses.courseid
    left join dropout
        on weeks.enrolment_id = dropout.enrolment_id
            and weeks.course_week = dropout.course_week
            and excluded_courses.courseid is null
    left join completion
        on weeks.enrolment_id = completion.enrolment_id
            and weeks.course_week = completion.course_week
            and excluded_courses.courseid is null
    left join models as dropout_models
        on dropout.model_version = dropout_models.model_version
    left join models as completion_models
        on completion.model_version = completion_models.model_version

),

final as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_end_at as week_end,
        is_complete_week,
        p_dropout,
        p_completion,
        case
            when p_dropout is null then null
            when p_dropout >= {{ var('ml_risk_high_threshold') }} then 'high'
            when p_dropout >= {{ var('ml_risk_medium_threshold') }} then 'medium'
            else 'low'
        end as risk_band,
        dropout_model_version,
        completion_model_version,
        reason_1,
        reason_2,
        reason_3,
        reason_1_feature,
        reason_1_value,
        reason_1_contribution,
        reason_2_feature,
        reason_2_value,
        reason_2_contribution,
        reason_3_feature,
        reason_3_value,
        reason_3_contribution,
        case
            when exclusion_check is not null
                then {{ dbt.concat(["'not scored: '", 'exclusion_check']) }}
            when dropout_model_version is null and completion_model_version is null
                then 'not scored: no trained model in ml_model_registry (no finished course with labels yet)'
            else nullif(concat_ws(
                    '; ',
                    case
                        when dropout_model_version is null
                            then 'p_dropout not scored: no trained dropout model in ml_model_registry'
                        else dropout_withheld_reason
                    end,
                    case
                        when completion_model_version is null
                            then 'p_completion not scored: no trained completion model in ml_model_registry'
                        else completion_withheld_reason
                    end
                ), '')
        end as score_note
    from joined

)

select * from final
