{#-
    The registry's out-of-fold evaluation as rows, typed, on every engine: one
    row per model version, candidate and interval. The DuckDB Python model
    ml_model_evaluation_raw, or the table of `early-warning ml-job` elsewhere
    (macro ml_relation).
-#}

with

evaluation as (

    select * from {{ ml_relation('ml_model_evaluation_raw') }}

),

final as (

    select
        cast(model_version as varchar) as model_version,
        cast(target as varchar) as target,
        cast(algorithm as varchar) as algorithm,
        cast(is_selected as boolean) as is_selected,
        cast(trained_at as timestamp) as trained_at,
        cast(validation as varchar) as validation,
        cast(interval_type as varchar) as interval_type,
        cast(interval_index as bigint) as interval_index,
        cast(interval_label as varchar) as interval_label,
        cast(n_folds as bigint) as n_folds,
        cast(n as bigint) as n_samples,
        cast(n_positive as bigint) as n_positive,
        cast(roc_auc as double precision) as roc_auc,
        cast(pr_auc as double precision) as pr_auc,
        cast(brier as double precision) as brier,
        cast(balanced_accuracy as double precision) as balanced_accuracy,
        cast(f1 as double precision) as f1,
        cast(f1_std as double precision) as f1_std,
        cast(f1_weighted as double precision) as f1_weighted,
        cast(f1_weighted_std as double precision) as f1_weighted_std,
        cast(passes_moodle_gate as boolean) as passes_moodle_gate,
        cast(gate_reason as varchar) as gate_reason
    from evaluation

)

select * from final
