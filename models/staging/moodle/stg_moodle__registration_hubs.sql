{#-
    The site's registrations with a sites directory (Moodle's registration_hubs):
    only what the AI usage report needs. The token and the secret are never read.
    Optional table: a site that never registered may export none (read as empty).
-#}

with

source as (

    select * from {{ moodle_source('registration_hubs') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as registration_id,
        cast(huburl as {{ dbt.type_string() }}) as huburl,
        coalesce(cast(confirmed as {{ dbt.type_bigint() }}) = 1, false) as is_confirmed,
        cast(timemodified as {{ dbt.type_bigint() }}) as timemodified
    from source

)

select * from renamed
