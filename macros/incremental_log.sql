{#-
    Incremental processing of the log (int_log_events_classified, int_activity_daily).

    The rule, per run (README "Daily runs are incremental"):
    * The inputs that decide how OLD log rows are classified are fingerprinted:
      the course ids and start dates, the student enrolments (ids, users, start
      and end) and the users' deleted flags. When the fingerprint differs from
      the one stored by the last successful run (int_log_reprocess_state), or
      no state exists, every log row is classified again (a full reprocess).
    * Otherwise only the rows that can have changed are reprocessed: rows at or
      after least(previous as_of, as_of) minus the look-back window (var
      log_lookback_days: late-arriving rows and rows that were after the old
      as_of), rows with a log id above the previous run's largest (late rows
      older than the window), rows without id or time, and every copy of an id
      that has a copy among those (duplicate ids are ranked over all copies).
    * int_activity_daily recomputes every (course, user, course day) that one
      of those rows falls on, from all of that day's events.
    Not covered (run with --full-refresh): changes to the classification rules
    themselves (macros/activity.sql) and log rows deleted from Moodle's log
    (a full refresh drops them, an incremental run keeps them).
-#}

{% macro log_inputs_fingerprint_sql() -%}
    {#- one row, one column: md5 of the inputs that classify old log rows -#}
    select
        {{ dbt.hash(dbt.concat(["courses.fp", "'|'", "enrolments.fp", "'|'", "users.fp"])) }} as fingerprint
    from (
        select {{ dbt.hash(dbt.listagg(
            dbt.concat([dbt.cast("courseid", api.Column.translate_type("string")), "':'",
                        "coalesce(" ~ dbt.cast("startdate", api.Column.translate_type("string")) ~ ", '')"]),
            "','", "order by courseid")) }} as fp
        from {{ ref('int_courses_classified') }}
    ) as courses
    cross join (
        select {{ dbt.hash(dbt.listagg(
            dbt.concat(["enrolment_id", "':'",
                        dbt.cast("courseid", api.Column.translate_type("string")), "':'",
                        dbt.cast("userid", api.Column.translate_type("string")), "':'",
                        "coalesce(" ~ dbt.cast("enrol_start", api.Column.translate_type("string")) ~ ", '')", "':'",
                        "coalesce(" ~ dbt.cast("enrol_end", api.Column.translate_type("string")) ~ ", '')"]),
            "','", "order by enrolment_id")) }} as fp
        from {{ ref('int_enrolments_resolved') }}
    ) as enrolments
    cross join (
        select {{ dbt.hash(dbt.listagg(
            dbt.cast("userid", api.Column.translate_type("string")),
            "','", "order by userid")) }} as fp
        from {{ lms_ref('users') }}
        where is_deleted
    ) as users
{%- endmacro %}


{% macro log_reprocess_window(incremental) -%}
    {#-
        {'full': true} or {'full': false, 'from_time': epoch, 'after_log_id': int}:
        which log rows this incremental run reprocesses (rule above). Call it with
        is_incremental() whatever the mode: the refs below are rendered at parse
        time, so dbt knows the model depends on them.
    -#}
    {%- set fingerprint_sql = log_inputs_fingerprint_sql() -%}
    {%- set as_of_sql = "select as_of from " ~ ref('int_as_of_resolved') -%}
    {%- if not execute or not incremental -%}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set state_relation = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier='int_log_reprocess_state') -%}
    {%- set prefix = "[" ~ this.identifier ~ "] incremental log window: " -%}
    {%- if state_relation is none -%}
        {{ log(prefix ~ "all rows (no int_log_reprocess_state from an earlier build)", info=true) }}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set state = run_query(
        "select fingerprint, as_of, max_log_id from " ~ state_relation) -%}
    {%- set current = run_query(fingerprint_sql).rows[0][0] -%}
    {%- set as_of = run_query(as_of_sql).rows[0][0] -%}
    {%- if state.rows | length != 1 or as_of is none or state.rows[0][1] is none -%}
        {{ log(prefix ~ "all rows (no usable state)", info=true) }}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set previous = state.rows[0] -%}
    {%- if previous[0] != current -%}
        {{ log(prefix ~ "all rows (courses, enrolments or deleted users changed)", info=true) }}
        {{ return({'full': true}) }}
    {%- endif -%}
    {%- set lookback = (var('log_lookback_days') | float * 86400) | int -%}
    {%- set window = {
        'full': false,
        'from_time': ([previous[1] | int, as_of | int] | min) - lookback,
        'after_log_id': (previous[2] if previous[2] is not none else -1) | int,
    } -%}
    {{ log(prefix ~ "rows at or after " ~ window.from_time ~ " or with log id above "
        ~ window.after_log_id, info=true) }}
    {{ return(window) }}
{%- endmacro %}


{% macro log_rows_to_reprocess_sql(relation, window) -%}
    {#-
        select of the rows of a relation with log_id and timecreated that this run
        reprocesses: every copy of the ids that have a copy in the window (at or after
        from_time, above after_log_id, or without a time), and the rows without an id.
        Pass the relation itself, not a CTE over it: PostgreSQL then finds the window
        through the indexes on timecreated and log_id (a CTE read twice is materialised,
        the whole log with it). A join and a UNION ALL, not IN (subquery) under OR:
        PostgreSQL would scan the whole log for the OR, or run such a subquery once per row.
        The copies' ids are at least the window's smallest id: said explicitly, it lets
        PostgreSQL read them by an index range scan instead of the whole log (2 s instead
        of 23 s on the large demo site).
    -#}
    {%- if window.full -%}
        select * from {{ relation }}
    {%- else -%}
        with window_ids as (
            select distinct log_id as window_log_id
            from {{ relation }}
            where timecreated >= {{ window.from_time }}
                or log_id > {{ window.after_log_id }}
                or timecreated is null
        )
        select candidates.*
        from {{ relation }} as candidates
        inner join window_ids
            on candidates.log_id = window_ids.window_log_id
        where candidates.log_id >= (select min(window_log_id) from window_ids)
        union all
        select * from {{ relation }}
        where log_id is null
    {%- endif -%}
{%- endmacro %}


{% macro get_incremental_replace_log_rows_sql(arg_dict) -%}
    {#-
        Incremental strategy "replace_log_rows": the new batch replaces every stored
        row with the same key, and every stored row whose key is NULL (rows without
        a log id are reprocessed by every run).
    -#}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {#- two statements: an IN (subquery) under OR would run once per row on PostgreSQL -#}
    delete from {{ target_relation }}
    where {{ key }} is null;
    delete from {{ target_relation }}
    where {{ key }} in (select {{ key }} from {{ temp_relation }} where {{ key }} is not null);
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ temp_relation }}
{%- endmacro %}


{% macro reprocessed_activity_days_sql(window) -%}
    {#- (courseid, userid, course_day) of every log row this run reprocesses -#}
    select distinct
        classified.courseid,
        classified.userid,
        {{ course_day_of('classified.timecreated', 'courses.startdate') }} as course_day
    from ({{ log_rows_to_reprocess_sql(ref('int_log_events_classified'), window) }}) as classified
    inner join {{ ref('int_courses_classified') }} as courses
        on classified.courseid = courses.courseid
    where classified.timecreated is not null
{%- endmacro %}


{% macro delete_reprocessed_activity_days() -%}
    {#- pre-hook of int_activity_daily: remove the days this run recomputes -#}
    {%- if is_incremental() -%}
        {%- set window = log_reprocess_window(true) -%}
        {%- if window.full -%}
            delete from {{ this }}
        {%- else -%}
            delete from {{ this }}
            where (courseid, userid, course_day) in (
                select courseid, userid, course_day
                from ({{ reprocessed_activity_days_sql(window) }}) as days
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
