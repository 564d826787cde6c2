{#-
    Calibration (reliability) curve of every registry model's selected
    algorithm: ten equal-width probability bins of the out-of-fold predictions,
    with the mean predicted probability and the observed rate, before and after
    Platt calibration.
-#}

with

calibration as (

    select * from {{ ref('ml_calibration') }}

),

final as (

    select
        model_version,
        target,
        algorithm,
        probability_kind,
        bin_number,
        p_lower,
        p_upper,
        n_samples,
        mean_predicted,
        observed_rate
    from calibration

)

select * from final
