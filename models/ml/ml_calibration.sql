{#-
    The registry's calibration curves as rows, typed, on every engine: ten
    probability bins per model version, before and after calibration. The
    DuckDB Python model ml_model_calibration_raw, or the table of
    `early-warning ml-job` elsewhere (macro ml_relation).
-#}

with

calibration as (

    select * from {{ ml_relation('ml_model_calibration_raw') }}

),

final as (

    select
        cast(model_version as varchar) as model_version,
        cast(target as varchar) as target,
        cast(algorithm as varchar) as algorithm,
        cast(probability_kind as varchar) as probability_kind,
        cast(bin as bigint) as bin_number,
        cast(p_lower as double precision) as p_lower,
        cast(p_upper as double precision) as p_upper,
        cast(n as bigint) as n_samples,
        cast(mean_predicted as double precision) as mean_predicted,
        cast(observed_rate as double precision) as observed_rate
    from calibration

)

select * from final
