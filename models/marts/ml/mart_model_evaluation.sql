{#-
    Honest quality of every registry model: out-of-fold metrics (folds grouped
    by course) of both candidates, per course week and per Moodle analysis
    interval, with Moodle's gate (F1 >= 0.7 and F1 deviation <= 0.05). Computed
    at training time by early_warning.ml and unpacked from the registry
    (models/ml/ml_evaluation).
-#}

with

evaluation as (

    select * from {{ ref('ml_evaluation') }}

),

final as (

    select
        model_version,
        target,
        algorithm,
        is_selected,
        trained_at,
        validation,
        interval_type,
        interval_index,
        interval_label,
        n_folds,
        n_samples,
        n_positive,
        roc_auc,
        pr_auc,
        brier,
        balanced_accuracy,
        f1,
        f1_std,
        f1_weighted,
        f1_weighted_std,
        passes_moodle_gate,
        gate_reason
    from evaluation

)

select * from final
