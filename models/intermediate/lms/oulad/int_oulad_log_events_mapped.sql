{#-
    OULAD VLE clicks as log events, in the columns of stg_moodle__log_events.
    One studentVle row (a student's clicks on one VLE site on one day) is one
    participating read event (edulevel 2, crud 'r') at noon of that day, on the
    site as a course module (contextlevel 70, contextinstanceid = id_site);
    the presentation's homepage is a course view. The VLE activity type is the
    kind: forumng reads count as forum reads, quiz sites as quiz activity, the
    rest as content views (macro activity_kind). log_id numbers the rows in a
    fixed order; n_clicks keeps sum_click.
-#}

with

clicks as (

    select * from {{ ref('stg_oulad__student_vle_clicks') }}

),

sites as (

    select
        site_id,
        activity_type
    from {{ ref('stg_oulad__vle_sites') }}

),

courses as (

    select
        courseid,
        code_module,
        code_presentation,
        startdate
    from {{ ref('int_oulad_courses_mapped') }}

),

joined as (

    select
        courses.courseid,
        clicks.student_id,
        clicks.site_id,
        clicks.activity_day,
        clicks.n_clicks,
        coalesce(sites.activity_type, 'unknown') as activity_type,
        courses.startdate + clicks.activity_day * {{ seconds_per_day() }} + {{ seconds_per_day() }} / 2
            as timecreated
    from clicks
    inner join courses
        on clicks.code_module = courses.code_module
            and clicks.code_presentation = courses.code_presentation
    left join sites
        on clicks.site_id = sites.site_id

),

final as (

    select
        cast(row_number() over (
            order by courseid, student_id, activity_day, site_id, n_clicks
        ) as {{ dbt.type_bigint() }}) as log_id,
        case
            when activity_type = 'homepage' then '\core\event\course_viewed'
            else {{ dbt.concat(["'\\mod_'", 'activity_type', "'\\event\\course_module_viewed'"]) }}
        end as eventname,
        case
            when activity_type = 'homepage' then 'core'
            when activity_type = 'forumng' then 'mod_forum'
            when activity_type in ('quiz', 'externalquiz') then 'mod_quiz'
            else {{ dbt.concat(["'mod_'", 'activity_type']) }}
        end as component,
        'viewed' as action,
        case when activity_type = 'homepage' then 'course' else 'course_module' end as target,
        'r' as crud,
        cast(2 as {{ dbt.type_bigint() }}) as edulevel,
        cast(null as {{ dbt.type_bigint() }}) as context_id,
        cast(case when activity_type = 'homepage' then 50 else 70 end as {{ dbt.type_bigint() }}) as contextlevel,
        case when activity_type = 'homepage' then courseid else site_id end as contextinstanceid,
        student_id as userid,
        courseid,
        cast(null as {{ dbt.type_bigint() }}) as relateduserid,
        false as is_anonymous,
        timecreated,
        'oulad' as origin,
        n_clicks
    from joined

)

select * from final
