{#-
    The registry's models, typed, on every engine: what the ML marts' model
    versions are tested against. The DuckDB Python model ml_model_registry, or
    the registry table of `early-warning ml-job` elsewhere (macro ml_relation).
    The fitted pipelines (model_skops) stay in the registry.
-#}

with

registry as (

    select * from {{ ml_relation('ml_model_registry') }}

),

final as (

    select
        cast(model_version as varchar) as model_version,
        cast(model_seq as bigint) as model_seq,
        cast(target as varchar) as target,
        cast(algorithm as varchar) as algorithm,
        cast(trained_at as timestamp) as trained_at
    from registry

)

select * from final
