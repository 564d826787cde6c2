{#-
    The registry's models, typed, on every engine: what the ML marts' model
    versions are tested against. The DuckDB Python model ml_model_registry, or
    the registry table of `early-warning ml-job` elsewhere (macro ml_relation).
    The fitted pipelines (model_skops) stay in the registry.

    The guard for teachers is defined here, once: a model whose out-of-fold
    ROC AUC is under var ml_guard_min_roc_auc (0.6), or whose out-of-fold Brier
    score is not better than the constant forecast at the base rate
    (cv_brier_prior), is withheld: stored, evaluated, but its scores are NULL in
    mart_student_scores with withheld_reason as the score_note.
-#}

with

registry as (

    select * from {{ ml_relation('ml_model_registry') }}

),

typed as (

    select
        cast(model_version as varchar) as model_version,
        cast(model_seq as bigint) as model_seq,
        cast(target as varchar) as target,
        cast(algorithm as varchar) as algorithm,
        cast(trained_at as timestamp) as trained_at,
        cast(cv_roc_auc as double precision) as cv_roc_auc,
        cast(cv_brier as double precision) as cv_brier,
        cast(cv_brier_prior as double precision) as cv_brier_prior
    from registry

),

guarded as (

    select
        model_version,
        model_seq,
        target,
        algorithm,
        trained_at,
        cv_roc_auc,
        cv_brier,
        cv_brier_prior,
        coalesce(cv_roc_auc < {{ var('ml_guard_min_roc_auc') }}, true) as fails_roc_auc,
        coalesce(cv_brier >= cv_brier_prior, true) as fails_brier
    from typed

),

final as (

    select
        model_version,
        model_seq,
        target,
        algorithm,
        trained_at,
        cv_roc_auc,
        cv_brier,
        cv_brier_prior,
        ({{ var('ml_guard_enabled') }} and (fails_roc_auc or fails_brier)) as is_withheld,
        case
            when fails_roc_auc and fails_brier
                then 'p_' || target || ' withheld: model ' || model_version
                    || ' ranks students too poorly (out-of-fold ROC AUC under '
                    || '{{ var("ml_guard_min_roc_auc") }}'
                    || ') and predicts no better than the base rate (Brier score); '
                    || 'see mart_model_evaluation'
            when fails_roc_auc
                then 'p_' || target || ' withheld: model ' || model_version
                    || ' ranks students too poorly (out-of-fold ROC AUC under '
                    || '{{ var("ml_guard_min_roc_auc") }}'
                    || '); see mart_model_evaluation'
            when fails_brier
                then 'p_' || target || ' withheld: model ' || model_version
                    || ' predicts no better than the base rate (out-of-fold Brier score); '
                    || 'see mart_model_evaluation'
        end as withheld_reason
    from guarded

)

select * from final
