"""Writing the demo site's tables: Parquet or CSV files of the source contract.

The last stage of the generator (early_warning.demo.generator): every contract table
(early_warning.moodle_schema.TABLES) but the log, from the planned site, plus the
ground truth; the writers shared with the log (atomic files, a streaming writer for
large tables) and the Arrow column helpers.
"""

from __future__ import annotations

import hashlib
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from early_warning.demo.catalogue import (
    _A_HIGH,
    _AI_ERRORS,
    _CATEGORIES,
    _DEPARTMENTS,
    _EN_FIRST,
    _EN_LAST,
    _EN_PLACES,
    _HOUR_P,
    _INF,
    _MOD,
    _R_MANAGER,
    _ROLES,
    _RU_FEMALE,
    _RU_LAST,
    _RU_MALE,
    _RU_PLACES,
    ARCHETYPES,
    DAY,
    HOUR,
    WEEK,
)
from early_warning.moodle_schema import TABLES, TELEGRAM_CHAT_PREFERENCE


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _nint(values, null=None) -> pa.Array:
    """A nullable int64 Arrow array; ``null`` is a boolean mask of NULLs."""
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=null)


def _nfloat(values, null=None) -> pa.Array:
    """A nullable float64 Arrow array; ``null`` is a boolean mask of NULLs."""
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64(), mask=null)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

_ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}


def _schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(n, _ARROW_TYPES[t]) for n, t in TABLES[table]])


def _to_arrow(values, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    if isinstance(values, np.ndarray) and values.dtype != object:
        return pa.array(values, type=typ)
    return pa.array(list(values), type=typ)


class _Reporter:
    """Progress lines on stderr."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def line(self, text: str) -> None:
        if self.enabled:
            print(f"[demo {self.elapsed():7.2f}s] {text}", file=sys.stderr, flush=True)


class _Output:
    """Writes contract tables as Parquet or CSV files (atomically, via a temp file)."""

    def __init__(self, out_dir: Path, fmt: str, report: _Reporter):
        self.dir = out_dir
        self.fmt = fmt
        self.report = report
        self.rows: dict[str, int] = {}

    def path(self, table: str) -> Path:
        return self.dir / f"{table}.{self.fmt}"

    def _table(self, table: str, cols: dict) -> pa.Table:
        names = [n for n, _ in TABLES[table]]
        if set(cols) != set(names):
            raise AssertionError(f"{table}: columns {sorted(cols)} != contract {sorted(names)}")
        arrays = [_to_arrow(cols[n], _ARROW_TYPES[t]) for n, t in TABLES[table]]
        return pa.Table.from_arrays(arrays, schema=_schema(table))

    def write(self, table: str, cols: dict) -> int:
        tab = self._table(table, cols)
        path = self.path(table)
        tmp = path.with_name(path.name + ".tmp")
        if self.fmt == "parquet":
            pq.write_table(tab, tmp, compression="zstd")
        else:
            pacsv.write_csv(tab, tmp, _CSV_OPTIONS)
        tmp.replace(path)
        self.rows[table] = tab.num_rows
        self.report.line(f"{table:<28} {tab.num_rows:>12,} rows")
        return tab.num_rows

    def stream(self, table: str) -> _Stream:
        return _Stream(self, table)


_CSV_OPTIONS = pacsv.WriteOptions(include_header=True, quoting_style="needed")


class _Stream:
    """Incremental writer of one large table (the log)."""

    def __init__(self, out: _Output, table: str):
        self.out = out
        self.table = table
        self.path = out.path(table)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        schema = _schema(table)
        if out.fmt == "parquet":
            self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        else:
            self.writer = pacsv.CSVWriter(self.tmp, schema, write_options=_CSV_OPTIONS)
        self.rows = 0

    def write(self, cols: dict) -> None:
        tab = self.out._table(self.table, cols)
        self.writer.write_table(tab)
        self.rows += tab.num_rows

    def close(self) -> int:
        self.writer.close()
        self.tmp.replace(self.path)
        self.out.rows[self.table] = self.rows
        self.out.report.line(f"{self.table:<28} {self.rows:>12,} rows")
        return self.rows


def _clean(out_dir: Path) -> None:
    """Remove table files of a previous run (both formats), truth and manifest."""
    for table in TABLES:
        for ext in ("parquet", "csv"):
            for p in (out_dir / f"{table}.{ext}", out_dir / f"{table}.{ext}.tmp"):
                p.unlink(missing_ok=True)
    (out_dir / "_truth" / "student_archetypes.csv").unlink(missing_ok=True)
    (out_dir / "_manifest.json").unlink(missing_ok=True)


class _TableWriting:
    """The table stage of the demo site (a part of early_warning.demo.generator._Site)."""

    def write_tables(self, out: _Output) -> None:
        """Write every contract table except the log (which must be written first)."""
        self._write_courses(out)
        self._write_users(out)
        self._write_enrolments(out)
        self._write_modules(out)
        self._write_assign(out)
        self._write_quiz(out)
        self._write_grades(out)
        self._write_ai(out)
        self._write_preferences(out)
        self._write_registration(out)

    def _write_courses(self, out: _Output) -> None:
        cid = np.concatenate([[1], self.c_id])
        out.write("course", {
            "id": cid,
            "category": np.concatenate([[0], self.c_category]),
            "fullname": ["Demo University"] + self.c_fullname,
            "shortname": ["demo"] + self.c_shortname,
            "startdate": np.concatenate([[0], self.c_start]),
            "enddate": np.concatenate([[0], self.c_end]),
            "visible": np.concatenate([[1], self.c_visible]),
            "enablecompletion": np.concatenate([[0], self.c_completion]),
        })  # fmt: skip
        out.write("course_categories", {
            "id": [c[0] for c in _CATEGORIES],
            "name": [c[1] for c in _CATEGORIES],
            "parent": [c[2] for c in _CATEGORIES],
        })  # fmt: skip
        crit_course, crit_type = [], []
        for c in np.flatnonzero(self.c_completion == 1):
            types = [4, 4, 6] + ([2] if c % 2 else [])  # activity x2, grade, (date)
            crit_course.extend([int(self.c_id[c])] * len(types))
            crit_type.extend(types)
        out.write("course_completion_criteria", {
            "id": np.arange(1, len(crit_course) + 1),
            "course": crit_course,
            "criteriatype": crit_type,
        })  # fmt: skip

    def _write_users(self, out: _Output) -> None:
        rng = self.rng("users")
        n = self.n_persons
        uid = self.person_uid
        order = np.argsort(uid)
        ru = self.person_ru
        female = rng.random(n) < 0.5
        ifirst = rng.integers(0, 1000, n)
        ilast = rng.integers(0, 1000, n)
        place = rng.integers(0, 1000, n)
        r = rng.random((6, n))
        deleted = np.isin(np.arange(n), self.deleted_persons)
        rows = {k: [] for k, _ in TABLES["user"]}
        seen: dict[str, int] = {}
        for person in order:
            if person == 0:
                first, last, uname, email = "Guest user", " ", "guest", "root@localhost"
            elif person == 1:
                first, last, uname, email = "Admin", "User", "admin", "admin@example.edu"
            else:
                if ru[person]:
                    pool = _RU_FEMALE if female[person] else _RU_MALE
                    first, first_lat = pool[ifirst[person] % len(pool)]
                    last, last_lat = _RU_LAST[ilast[person] % len(_RU_LAST)]
                    if female[person]:
                        last, last_lat = last + "а", last_lat + "a"
                else:
                    first = first_lat = _EN_FIRST[ifirst[person] % len(_EN_FIRST)]
                    last = last_lat = _EN_LAST[ilast[person] % len(_EN_LAST)]
                base_name = _ascii(first_lat)[:1] + _ascii(last_lat)
                seen[base_name] = seen.get(base_name, 0) + 1
                uname = base_name if seen[base_name] == 1 else f"{base_name}{seen[base_name]}"
                domain = "staff.example.edu" if person < self.first_student else "example.edu"
                email = f"{uname}@{domain}"
            if deleted[person]:
                # what Moodle's delete_user() does to the account
                deltime = self.now - int(r[0, person] * 30 * DAY) - DAY
                uname = f"{email}.{deltime}"
                email = hashlib.md5(uname.encode()).hexdigest()
            places = _RU_PLACES if ru[person] else _EN_PLACES
            city, country, _ = places[place[person] % len(places)]
            if person >= 3 and r[1, person] < 0.1:
                city = ""
            rows["id"].append(int(uid[person]))
            rows["username"].append(uname)
            rows["firstname"].append(first)
            rows["lastname"].append(last)
            rows["email"].append(email)
            rows["deleted"].append(int(deleted[person]))
            rows["suspended"].append(int(person == self.suspended_person))
            rows["lastaccess"].append(int(self.user_last[uid[person]]))
            rows["timecreated"].append(int(self.person_created[person]))
            rows["description"].append(
                "" if r[2, person] > 0.08 or person < 2
                else ("<p>Привет! Я учусь здесь.</p>" if ru[person]
                      else "<p>Hi! I am studying here.</p>"))  # fmt: skip
            rows["picture"].append(0 if r[3, person] > 0.15 else int(1000 + person * 7))
            rows["institution"].append("" if r[4, person] < 0.3 or person < 2
                                       else "Demo University")  # fmt: skip
            rows["department"].append(
                "" if r[5, person] < 0.7 or person < 2
                else _DEPARTMENTS[int(place[person]) % len(_DEPARTMENTS)])  # fmt: skip
            rows["city"].append(city if person >= 2 else "")
            rows["country"].append(country if person >= 2 else "")
            rows["lang"].append("ru" if ru[person] else "en")
        out.write("user", rows)
        out.write("role", {"id": [r_[0] for r_ in _ROLES], "shortname": [r_[1] for r_ in _ROLES]})

    def _write_enrolments(self, out: _Output) -> None:
        out.write("enrol", {
            "id": self.e_id,
            "courseid": self.c_id[self.e_course],
            "status": self.e_status,
            "enrol": self.e_method.tolist(),
        })  # fmt: skip
        order = np.lexsort((np.arange(self.P), self.p_tcreated))
        self.p_ueid = np.empty(self.P, dtype=np.int64)
        self.p_ueid[order] = np.arange(1, self.P + 1)
        out.write("user_enrolments", {
            "id": self.p_ueid[order],
            "enrolid": self.p_enrolid[order],
            "userid": self.p_user[order],
            "status": self.p_status[order],
            "timestart": self.p_tstart[order],
            "timeend": self.p_tend[order],
            "timecreated": self.p_tcreated[order],
        })  # fmt: skip
        out.write("context", {"id": self.ctx[:, 0], "contextlevel": self.ctx[:, 1],
                              "instanceid": self.ctx[:, 2]})  # fmt: skip
        ra_role = np.concatenate([[_R_MANAGER], self.p_role[order]])
        ra_ctx = np.concatenate([[1], self.c_ctx[self.p_course[order]]])
        ra_user = np.concatenate([[self.person_uid[2]], self.p_user[order]])
        out.write("role_assignments", {"id": np.arange(1, ra_role.size + 1), "roleid": ra_role,
                                       "contextid": ra_ctx, "userid": ra_user})  # fmt: skip

    def _write_modules(self, out: _Output) -> None:
        out.write("modules", {"id": list(_MOD.values()), "name": list(_MOD)})
        course_id = np.where(self.cm_course >= 0, self.c_id[np.maximum(self.cm_course, 0)], 1)
        out.write("course_modules", {
            "id": self.cm_id, "course": course_id, "module": self.cm_type,
            "instance": self.cm_inst, "section": self.cm_secid, "visible": self.cm_visible,
            "added": self.cm_added,
        })  # fmt: skip

    def _write_assign(self, out: _Output) -> None:
        names = [
            "Portfolio (no due date)" if d == 0 else f"Week {s} assignment"
            for s, d in zip(self.a_sec.tolist(), self.a_due.tolist(), strict=True)
        ]
        out.write("assign", {
            "id": self.cm_inst[self.a_cm], "course": self.c_id[self.a_course], "name": names,
            "duedate": self.a_due, "cutoffdate": self.a_cut,
        })  # fmt: skip
        rows = np.flatnonzero(self.as_status > 0)
        rows = rows[np.lexsort((rows, self.as_tmod[rows]))]
        status_names = np.array(["", "new", "draft", "submitted"], dtype=object)
        out.write("assign_submission", {
            "id": np.arange(1, rows.size + 1),
            "assignment": self.cm_inst[self.a_cm[self.as_a[rows]]],
            "userid": self.p_user[self.as_p[rows]],
            "status": status_names[self.as_status[rows]].tolist(),
            "timemodified": self.as_tmod[rows],
            "latest": np.ones(rows.size, dtype=np.int64),
        })  # fmt: skip

    def _write_quiz(self, out: _Output) -> None:
        names = [
            "Final test" if f else f"Week {s} quiz"
            for s, f in zip(self.q_sec.tolist(), self.q_final.tolist(), strict=True)
        ]
        out.write("quiz", {
            "id": self.cm_inst[self.q_cm], "course": self.c_id[self.q_course], "name": names,
            "timeclose": self.q_close, "sumgrades": self.q_sumgrades, "grade": self.q_grade,
        })  # fmt: skip
        order = np.lexsort((self.qa_no, self.qa_ts))
        states = np.array(["", "inprogress", "finished", "abandoned"], dtype=object)
        out.write("quiz_attempts", {
            "id": np.arange(1, order.size + 1),
            "quiz": self.cm_inst[self.q_cm[self.qa_q[order]]],
            "userid": self.p_user[self.qa_p[order]],
            "attempt": self.qa_no[order],
            "state": states[self.qa_state[order]].tolist(),
            "timestart": self.qa_ts[order],
            "timefinish": self.qa_tf[order],
            "sumgrades": _nfloat(self.qa_sum[order], np.isnan(self.qa_sum[order])),
        })  # fmt: skip

    def _write_grades(self, out: _Output) -> None:
        rng = self.rng("grades")
        now, C, P = self.now, self.C, self.P
        # grade items: per course the course item, then its assignments and quizzes
        gi_course, gi_type, gi_mod, gi_inst, gi_max, gi_pass = [], [], [], [], [], []
        self.a_item = np.zeros(self.a_cm.size, dtype=np.int64)
        self.q_item = np.zeros(self.q_cm.size, dtype=np.int64)
        c_item = np.zeros(C, dtype=np.int64)
        for c in range(C):
            gi_course.append(int(self.c_id[c]))
            gi_type.append("course")
            gi_mod.append(None)
            gi_inst.append(int(self.c_id[c]))
            gi_max.append(100.0)
            gi_pass.append(float(self.c_gradepass[c]))
            c_item[c] = len(gi_course)
            mods = sorted([(int(self.a_cm[i]), "assign", i) for i in np.flatnonzero(
                self.a_course == c)] + [(int(self.q_cm[i]), "quiz", i) for i in np.flatnonzero(
                self.q_course == c)])  # fmt: skip
            for cm, mod, i in mods:
                gi_course.append(int(self.c_id[c]))
                gi_type.append("mod")
                gi_mod.append(mod)
                gi_inst.append(int(self.cm_inst[cm]))
                if mod == "assign":
                    gi_max.append(float(self.a_grademax[i]))
                    gi_pass.append(float(self.a_gradepass[i]))
                    self.a_item[i] = len(gi_course)
                else:
                    gi_max.append(float(self.q_grade[i]))
                    gi_pass.append(float(self.q_gradepass[i]))
                    self.q_item[i] = len(gi_course)
        out.write("grade_items", {
            "id": np.arange(1, len(gi_course) + 1), "courseid": gi_course, "itemtype": gi_type,
            "itemmodule": gi_mod, "iteminstance": gi_inst, "grademax": gi_max,
            "gradepass": gi_pass,
        })  # fmt: skip

        # activity grades
        ga = np.flatnonzero(self.as_has_grade)
        item = np.concatenate([self.a_item[self.as_a[ga]], self.q_item[self.qg_q]])
        gp = np.concatenate([self.as_p[ga], self.qg_p])
        val = np.concatenate([self.as_grade[ga], self.qg_grade])
        gt = np.concatenate([self.as_grade_t[ga], self.qg_t])
        gmax = np.concatenate([self.a_grademax[self.as_a[ga]], self.q_grade[self.qg_q]])

        # course totals: finished courses count missing work as 0; running ones show
        # the current average over graded items
        pct = np.where(np.isnan(val), 0.0, val / gmax)
        n_items = np.bincount(self.a_course, minlength=C) + np.bincount(self.q_course, minlength=C)
        sum_pct = np.bincount(gp, weights=pct, minlength=P)
        n_graded = np.bincount(gp, weights=(~np.isnan(val)).astype(float), minlength=P)
        last_gt = np.full(P, -1, dtype=np.int64)
        np.maximum.at(last_gt, gp, gt)
        c = self.p_course
        fin = self.c_finished[c]
        running = self.c_active[c] & ~fin
        tot = np.where(fin, 100 * sum_pct / np.maximum(n_items[c], 1),
                       100 * sum_pct / np.maximum(n_graded, 1))  # fmt: skip
        end_t = self.c_end[c] + rng.integers(DAY, 5 * DAY, P)
        has_tot = self.p_student & (fin | (running & (n_graded > 0)))
        tot_t = np.where(fin, np.minimum(end_t, now - HOUR), last_gt)
        tp = np.flatnonzero(has_tot)
        item = np.concatenate([item, c_item[c[tp]]])
        gp = np.concatenate([gp, tp])
        val = np.concatenate([val, np.round(tot[tp], 5)])
        gt = np.concatenate([gt, tot_t[tp]])
        order = np.lexsort((self.p_user[gp], item, gt))
        out.write("grade_grades", {
            "id": np.arange(1, order.size + 1), "itemid": item[order],
            "userid": self.p_user[gp[order]],
            "finalgrade": _nfloat(val[order], np.isnan(val[order])),
            "timemodified": gt[order],
        })  # fmt: skip

        # completions (completion-enabled courses that have started)
        n_sub = np.bincount(self.as_p, weights=(self.as_status == 3).astype(float), minlength=P)
        due_passed = (self.a_due > 0) & (self.a_due <= now)
        n_due = np.bincount(self.a_course, weights=due_passed.astype(float), minlength=C)
        frac = n_sub / np.maximum(n_due[c], 1)
        S, W = self.c_start[c], self.c_weeks[c]
        last_quarter = self.last_act >= S + (0.75 * W * WEEK).astype(np.int64)
        total_ok = np.where(np.isnan(tot), 0, tot) >= 50
        done_fin = fin & total_ok & (frac >= 0.6) & last_quarter
        early = (running & (self.p_arch == _A_HIGH) & (frac >= 0.99) & (n_due[c] >= 2)
                 & (rng.random(P) < 0.15))  # fmt: skip
        t_done = last_gt + rng.integers(HOUR, DAY, P)  # the completion cron after the last grade
        t_done = np.minimum(t_done, now - 60)
        completed = (done_fin | early) & (last_gt > 0)
        started = self.c_start[c] <= now
        rows = np.flatnonzero(self.p_student & (self.c_completion[c] == 1) & started)
        rows = rows[np.lexsort((self.p_user[rows], c[rows]))]
        enrolled = np.where(self.p_tstart > 0, self.p_tstart, self.p_tcreated)
        tstarted = np.where(self.first_act < _INF, self.first_act, 0)
        out.write("course_completions", {
            "id": np.arange(1, rows.size + 1), "userid": self.p_user[rows],
            "course": self.c_id[c[rows]], "timeenrolled": enrolled[rows],
            "timestarted": tstarted[rows],
            "timecompleted": _nint(np.where(completed, t_done, 0)[rows], ~completed[rows]),
        })  # fmt: skip

    def _write_ai(self, out: _Output) -> None:
        rng = self.rng("ai")
        n, now = self.size.ai_actions, self.now
        recent = rng.random(n) < 0.4
        age = np.where(recent, rng.random(n) * 7 * DAY, 7 * DAY + rng.random(n) * 200 * DAY)
        t = now - age.astype(np.int64)
        t = t - t % DAY + (rng.choice(24, n, p=_HOUR_P) * HOUR) + rng.integers(0, HOUR, n)
        t = np.minimum(t, now - 120 - rng.integers(0, HOUR, n))
        order = np.argsort(t, kind="stable")
        t = t[order]
        actions = np.array(["generate_text", "summarise_text", "explain_text", "generate_image"])
        act = rng.choice(4, n, p=[0.45, 0.3, 0.12, 0.13])
        providers = np.array(["aiprovider_openai", "aiprovider_azureai", "aiprovider_ollama"])
        prov = rng.choice(3, n, p=[0.55, 0.25, 0.2])
        image = act == 3
        mini = rng.random(n) < 0.4
        model = np.select(
            [(prov == 2) & image, prov == 2, image, (prov == 0) & mini],
            ["llava", "llama3.2", "dall-e-3", "gpt-4o-mini"],
            "gpt-4o",
        ).astype(object)
        model[rng.random(n) < 0.06] = None
        fail_p = np.where((prov == 2) & image, 0.6, 0.1)
        success = rng.random(n) >= fail_p
        codes = np.array([403, 404, 429, 500])
        err = codes[rng.choice(4, n, p=[0.15, 0.1, 0.5, 0.25])]
        err = np.where((prov == 2) & image, 404, err)
        dur = np.where(image, 8 + rng.exponential(10, n), 1 + rng.exponential(4, n)).astype(
            np.int64)  # fmt: skip
        no_end = ~success & (rng.random(n) < 0.3)
        # who and where: teachers (60 %) or students of an active course
        act_c = np.flatnonzero(self.c_active)
        cc = act_c[rng.integers(0, act_c.size, n)]
        lo, cnt = self.pp_lo[cc], self.pp_cnt[cc]
        n_teach = np.array([np.sum(~self.p_student[self.p_course == ci]) for ci in range(self.C)])
        pick_t = rng.random(n) < 0.6
        k = np.where(
            pick_t,
            (rng.random(n) * n_teach[cc]).astype(np.int64),
            n_teach[cc] + (rng.random(n) * (cnt - n_teach[cc])).astype(np.int64),
        )
        user = self.p_user[lo + k]
        course_cms = [np.flatnonzero(self.cm_course == ci) for ci in range(self.C)]
        in_cm = rng.random(n) < 0.3
        ctx = np.array([
            self.cm_ctx[course_cms[ci][int(u * course_cms[ci].size)]] if m else self.c_ctx[ci]
            for ci, u, m in zip(cc.tolist(), rng.random(n).tolist(), in_cm.tolist(),
                                strict=True)])  # fmt: skip
        actionid = np.zeros(n, dtype=np.int64)
        for a in range(4):
            sel = act == a
            actionid[sel] = np.arange(1, int(sel.sum()) + 1)
        out.write("ai_action_register", {
            "id": np.arange(1, n + 1), "actionname": actions[act].tolist(),
            "actionid": actionid, "success": success.astype(np.int64), "userid": user,
            "contextid": ctx, "provider": providers[prov].tolist(), "model": model.tolist(),
            "errorcode": _nint(err, success),
            "errormessage": [None if s else _AI_ERRORS[int(e)]
                             for s, e in zip(success.tolist(), err.tolist(), strict=True)],
            "timecreated": t, "timecompleted": _nint(t + dur, no_end),
        })  # fmt: skip

    def _write_registration(self, out: _Output) -> None:
        # the demo site was never registered with the sites directory: the AI usage
        # report then covers the 7 days up to as_of, as Moodle's does
        out.write("registration_hubs", {name: [] for name, _ in TABLES["registration_hubs"]})

    def _write_preferences(self, out: _Output) -> None:
        rng = self.rng("preferences")
        n = self.n_persons
        r = rng.random((5, n))
        chat = rng.integers(100_000_000, 7_000_000_000, n)
        deleted = np.isin(np.arange(n), self.deleted_persons)
        is_student = np.arange(n) >= self.first_student
        rows: list[tuple[int, str, str]] = []
        for person in range(2, n):
            uid = int(self.person_uid[person])
            tele = (r[0, person] < 0.4) if is_student[person] else (r[0, person] < 0.5)
            if tele and not deleted[person]:
                rows.append((uid, TELEGRAM_CHAT_PREFERENCE, str(int(chat[person]))))
            if r[1, person] < 0.3:
                rows.append((uid, "auth_forcepasswordchange", "0"))
            if r[2, person] < 0.5:
                rows.append((uid, "block_myoverview_user_view_preference",
                             "card" if r[3, person] < 0.6 else "list"))  # fmt: skip
            if r[4, person] < 0.2:
                rows.append((uid, "email_bounce_count", "1"))
                rows.append((uid, "email_send_count", str(int(chat[person] % 40) + 1)))
        rows.sort()
        out.write("user_preferences", {
            "id": np.arange(1, len(rows) + 1), "userid": [x[0] for x in rows],
            "name": [x[1] for x in rows], "value": [x[2] for x in rows],
        })  # fmt: skip

    def truth(self) -> pa.Table:
        """Ground truth per student enrolment: archetype and planned dropout week."""
        idx = np.flatnonzero(self.p_student)
        idx = idx[np.lexsort((self.p_user[idx], self.c_id[self.p_course[idx]]))]
        drop = self.p_drop[idx]
        return pa.table({
            "courseid": pa.array(self.c_id[self.p_course[idx]], pa.int64()),
            "userid": pa.array(self.p_user[idx], pa.int64()),
            "archetype": pa.array([ARCHETYPES[a] for a in self.p_arch[idx]], pa.string()),
            "dropout_week": _nint(drop, drop <= 0),
        })  # fmt: skip
