{#-
    Did contacting help, in numbers: mart_outreach_outcomes counted per course and
    for the whole site (scope), per contact_group (contacted, not_contacted_no_chat,
    not_contacted_with_chat): transitions, how many can be judged yet at 7 and 14
    days, and how many of those were active again. An observational comparison,
    not proof of effect (see mart_outreach_outcomes).
-#}

with

outcomes as (

    select * from {{ ref('mart_outreach_outcomes') }}

),

per_course as (

    select
        courseid,
        contact_group,
        'course' as scope,
        count(*) as n_transitions,
        sum(case when is_observable_7d then 1 else 0 end) as n_observable_7d,
        sum(case when is_active_within_7d then 1 else 0 end) as n_active_within_7d,
        sum(case when is_observable_14d then 1 else 0 end) as n_observable_14d,
        sum(case when is_active_within_14d then 1 else 0 end) as n_active_within_14d
    from outcomes
    group by courseid, contact_group

),

site as (

    select
        contact_group,
        'site' as scope,
        cast(null as {{ dbt.type_bigint() }}) as courseid,
        count(*) as n_transitions,
        sum(case when is_observable_7d then 1 else 0 end) as n_observable_7d,
        sum(case when is_active_within_7d then 1 else 0 end) as n_active_within_7d,
        sum(case when is_observable_14d then 1 else 0 end) as n_observable_14d,
        sum(case when is_active_within_14d then 1 else 0 end) as n_active_within_14d
    from outcomes
    group by contact_group

),

counted as (

    select
        scope,
        courseid,
        contact_group,
        n_transitions,
        n_observable_7d,
        n_active_within_7d,
        n_observable_14d,
        n_active_within_14d
    from per_course
    union all
    select
        scope,
        courseid,
        contact_group,
        n_transitions,
        n_observable_7d,
        n_active_within_7d,
        n_observable_14d,
        n_active_within_14d
    from site

),

final as (

    select
        cast(scope as {{ dbt.type_string() }}) as scope,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(contact_group as {{ dbt.type_string() }}) as contact_group,
        cast(n_transitions as {{ dbt.type_bigint() }}) as n_transitions,
        cast(n_observable_7d as {{ dbt.type_bigint() }}) as n_observable_7d,
        cast(n_active_within_7d as {{ dbt.type_bigint() }}) as n_active_within_7d,
        case
            when n_observable_7d > 0
                then cast(n_active_within_7d as {{ type_double() }}) / n_observable_7d
        end as share_active_within_7d,
        cast(n_observable_14d as {{ dbt.type_bigint() }}) as n_observable_14d,
        cast(n_active_within_14d as {{ dbt.type_bigint() }}) as n_active_within_14d,
        case
            when n_observable_14d > 0
                then cast(n_active_within_14d as {{ type_double() }}) / n_observable_14d
        end as share_active_within_14d
    from counted

)

select * from final
