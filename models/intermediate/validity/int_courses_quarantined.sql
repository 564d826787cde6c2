{#-
    Course rows that cannot be analysed safely, quarantined: every course id
    listed here is left out of int_courses_classified, so that no model
    downstream sees it (no weeks, enrolments, labels or scores), while the rest
    of the site builds. One row per course id and check:

      duplicate_course_id        the id appears more than once in the course table
                                 (every copy is left out: which one is right is unknown)
      course_start_invalid       startdate missing or before var valid_dates_from
                                 (Moodle's startdate 0 would put the course at week 2889)
      course_ends_before_start   enddate at or before startdate

    Listed with their ids in mart_data_quality_rows and counted in mart_data_quality.
-#}

{%- set valid_from = var_as_epoch('valid_dates_from') or 0 %}

with

courses as (

    select
        courseid,
        startdate,
        enddate
    from {{ lms_ref('courses') }}
    where not is_site_course

),

duplicated as (

    select
        courseid,
        count(*) as n_copies
    from courses
    group by courseid
    having count(*) > 1

),

findings as (

    select
        courseid,
        'duplicate_course_id' as check_name,
        {{ dbt.concat([
            "'the id appears '", dbt.cast('n_copies', api.Column.translate_type('string')), "' times'"
        ]) }} as detail
    from duplicated

    union all

    select
        courseid,
        'course_start_invalid' as check_name,
        {{ dbt.concat([
            "'startdate = '",
            "coalesce(" ~ dbt.cast('startdate', api.Column.translate_type('string')) ~ ", 'NULL')",
            "', before " ~ var('valid_dates_from') ~ "'"
        ]) }} as detail
    from courses
    where startdate is null or startdate < {{ valid_from }}

    union all

    select
        courseid,
        'course_ends_before_start' as check_name,
        {{ dbt.concat([
            "'enddate = '", dbt.cast('enddate', api.Column.translate_type('string')),
            "' is not after startdate = '", dbt.cast('startdate', api.Column.translate_type('string'))
        ]) }} as detail
    from courses
    where enddate is not null and enddate <= startdate

),

final as (

    select
        courseid,
        check_name,
        min(detail) as detail
    from findings
    group by courseid, check_name

)

select * from final
