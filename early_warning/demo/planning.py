"""Planning a demo site: courses, people, enrolments, behaviour, activities, decisions.

The first stage of the generator (early_warning.demo.generator): everything about
the site is decided here, before any row is written, from generators keyed by
(seed, part) so that the same seed gives the same site. The decisions that become
log events (submissions, quiz attempts, feedback) are kept as event chains
(early_warning.demo.log).
"""

from __future__ import annotations

import datetime as _dt
import math
import zlib

import numpy as np

from early_warning.demo.catalogue import (
    _A_ABRUPT,
    _A_COMEBACK,
    _A_FADE,
    _A_HIGH,
    _A_LATE,
    _A_LOW,
    _A_NEVER,
    _ARCHETYPE_SHARE,
    _CATALOG,
    _CATEGORIES,
    _INF,
    _K,
    _MOD,
    _R_EDITING,
    _R_STUDENT,
    _R_TEACHER,
    _VIEW_KIND,
    DAY,
    HOUR,
    WEEK,
)
from early_warning.demo.log import _Slot


def _rng(seed: int, *keys: str | int) -> np.random.Generator:
    """A child generator keyed by (seed, *keys); independent of call order."""
    entropy = [seed] + [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.default_rng(entropy)


def _monday(t: int) -> int:
    """Monday 00:00 UTC of the week that contains Unix time ``t``."""
    d = t // DAY
    return int((d - (d + 3) % 7) * DAY)  # 1970-01-01 was a Thursday


def _quota(n: int, shares: tuple[float, ...]) -> np.ndarray:
    """Integer counts that sum to ``n`` (largest-remainder rounding)."""
    raw = np.asarray(shares) * n
    cnt = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - cnt), kind="stable")
    cnt[order[: n - int(cnt.sum())]] += 1
    return cnt


class _Planning:
    """The planning stage of the demo site (a part of early_warning.demo.generator._Site)."""

    # -- structure -----------------------------------------------------------

    def build(self) -> None:
        self._plan_courses()
        self._plan_people()
        self._plan_enrolments()
        self._plan_behaviour()
        self._plan_modules()
        self._plan_window_grid()
        self._decide_assignments()
        self._decide_quizzes()
        self._decide_feedback()

    def _plan_courses(self) -> None:
        rng = self.rng("courses")
        sz, mon = self.size, _monday(self.now)
        wmin, wmax = sz.course_weeks
        specs = []  # (kind, start, end, weeks)
        for _ in range(sz.finished_courses):
            w = int(rng.integers(wmin, wmax + 1))
            gap = int(rng.integers(1, max(4, 52 - w) + 1))
            end = mon - gap * WEEK
            specs.append(("finished", end - w * WEEK, end, w))
        for _ in range(sz.running_courses):
            w = int(rng.integers(wmin, wmax + 1))
            cw = int(rng.integers(math.ceil(0.35 * w), int(0.8 * w) + 1))
            specs.append(("running", mon - cw * WEEK, mon + (w - cw) * WEEK, w))
        cw = int(rng.integers(math.ceil(0.4 * wmax), int(0.75 * wmax) + 1))
        specs.append(("noend", mon - cw * WEEK, 0, wmax))
        specs.append(("future", mon + 3 * WEEK, mon + (3 + wmin) * WEEK, wmin))
        specs.append(("empty", mon - 3 * WEEK, mon + (wmin - 3) * WEEK, wmin))
        rank = {"finished": 0, "running": 1, "noend": 2, "empty": 3, "future": 4}
        specs.sort(key=lambda s: (s[1], rank[s[0]]))

        C = len(specs)
        self.C = C
        self.c_kind = [s[0] for s in specs]
        self.c_id = np.arange(2, C + 2, dtype=np.int64)
        self.c_start = np.array([s[1] for s in specs], dtype=np.int64)
        self.c_end = np.array([s[2] for s in specs], dtype=np.int64)
        self.c_weeks = np.array([s[3] for s in specs], dtype=np.int64)
        self.c_active = np.array([k in ("finished", "running", "noend") for k in self.c_kind])
        self.c_finished = np.array([k == "finished" for k in self.c_kind])
        # current course week number at `now` (1-based; W for finished courses)
        cw = (self.now - self.c_start) // WEEK + 1
        self.c_curweek = np.where(self.c_finished, self.c_weeks, np.clip(cw, 0, None))

        # names and categories
        n_named = sum(k != "empty" for k in self.c_kind)
        cats = [2, 3, 4] if n_named <= 12 else [2, 3, 4, 5]
        queues = {cat: list(rng.permutation(len(_CATALOG[cat]))) for cat in cats}
        used: dict[str, int] = {}
        self.c_category = np.zeros(C, dtype=np.int64)
        self.c_fullname, self.c_shortname = [], []
        i_named = 0
        for c in range(C):
            if self.c_kind[c] == "empty":
                self.c_category[c] = 1
                self.c_fullname.append("Teaching sandbox")
                self.c_shortname.append("SANDBOX")
                continue
            cat = cats[i_named % len(cats)]
            i_named += 1
            q = queues[cat]
            code, name = _CATALOG[cat][q[0]]
            q.append(q.pop(0))
            start = _dt.datetime.fromtimestamp(int(self.c_start[c]), tz=_dt.UTC)
            term = "Spring" if start.month <= 5 else "Summer" if start.month <= 8 else "Autumn"
            short = f"{code}-{start.year % 100:02d}{term[0]}"
            used[short] = used.get(short, 0) + 1
            if used[short] > 1:
                short = f"{short}{used[short]}"
            self.c_category[c] = cat
            self.c_fullname.append(f"{name} ({term} {start.year})")
            self.c_shortname.append(short)

        # completion tracking, pass grades, teachers' habits
        self.c_completion = np.zeros(C, dtype=np.int64)
        n_fin = n_run = 0
        for c, kind in enumerate(self.c_kind):
            if kind == "finished":
                self.c_completion[c] = 1 if n_fin % 2 == 0 else 0
                n_fin += 1
            elif kind == "running":
                self.c_completion[c] = 1 if n_run % 2 == 0 else 0
                n_run += 1
            elif kind == "future":
                self.c_completion[c] = 1
        self.c_gradepass = np.full(C, 50.0)
        fin_compl = [c for c in range(C) if self.c_finished[c] and self.c_completion[c]]
        # one course without a pass grade (gradepass 0): completion comes from criteria only
        self.c_gradepass[(fin_compl or [int(np.flatnonzero(self.c_finished)[0])])[-1]] = 0.0
        self.c_visible = np.array([0 if k == "future" else 1 for k in self.c_kind])
        self.c_zero_missing = rng.random(C) < 0.35
        self.c_feedback = (rng.random(C) < 0.6) & self.c_active
        self.c_feedback[np.flatnonzero(self.c_active)[0]] = True
        self.c_assign_every = rng.choice([1, 2], C)
        self.c_quiz_every = rng.choice([2, 3], C)
        self.c_due_shift = rng.choice([0, 2 * DAY], C)  # Sunday or Friday 23:59 deadlines
        self.c_self_enrol = rng.random(C) < 0.5
        self.c_popularity = rng.uniform(0.8, 1.2, C)

    def _plan_people(self) -> None:
        rng = self.rng("people")
        sz, C = self.size, self.C
        n_st = np.zeros(C, dtype=np.int64)
        for c, kind in enumerate(self.c_kind):
            if self.c_active[c]:
                n_st[c] = max(4, round(sz.students_per_course * rng.uniform(0.75, 1.25)))
            elif kind == "future":
                n_st[c] = sz.future_students
        pool = max(math.ceil(n_st.sum() / 1.45), int(n_st.max()))
        weight = rng.gamma(2.0, 1.0, pool)
        weight /= weight.sum()
        members = [np.sort(rng.choice(pool, int(n), replace=False, p=weight)) for n in n_st]
        # keep the enrolled students plus a few accounts that never enrolled anywhere
        used = np.unique(np.concatenate(members))
        unused = np.setdiff1d(np.arange(pool), used)
        extra = rng.permutation(unused)[: max(2, int(0.03 * used.size))]
        kept = np.sort(np.concatenate([used, extra]))
        members = [np.searchsorted(kept, m) for m in members]
        pool = kept.size

        n_teach = max(2, math.ceil(C * 0.6))
        self.n_teachers = n_teach
        first_student = 3 + n_teach  # persons: 0 guest, 1 admin, 2 manager, teachers, students
        editing = rng.integers(0, n_teach, C)
        second = np.where(rng.random(C) < 0.5, (editing + 1 + rng.integers(0, n_teach - 1, C))
                          % n_teach, -1)  # fmt: skip

        p_course, p_person, p_role = [], [], []
        for c in range(C):
            p_course.append(c)
            p_person.append(3 + editing[c])
            p_role.append(_R_EDITING)
            if second[c] >= 0:
                p_course.append(c)
                p_person.append(3 + second[c])
                p_role.append(_R_TEACHER)
            p_course.extend([c] * len(members[c]))
            p_person.extend((first_student + members[c]).tolist())
            p_role.extend([_R_STUDENT] * len(members[c]))
        self.P = len(p_course)
        self.p_course = np.array(p_course, dtype=np.int64)
        self.p_person = np.array(p_person, dtype=np.int64)
        self.p_role = np.array(p_role, dtype=np.int64)
        self.p_student = self.p_role == _R_STUDENT
        self.c_teacher_person = 3 + editing  # the grader of each course

        # archetypes: quota per course, shuffled
        arch = np.full(self.P, -1, dtype=np.int64)
        for c in range(C):
            idx = np.flatnonzero((self.p_course == c) & self.p_student)
            if not idx.size:
                continue
            if self.c_active[c]:
                a = np.repeat(np.arange(7), _quota(idx.size, _ARCHETYPE_SHARE))
                arch[idx] = rng.permutation(a)
            else:
                arch[idx] = _A_NEVER

        # persons
        n_persons = first_student + pool
        self.n_persons = n_persons
        self.first_student = first_student
        ru = rng.random(n_persons) < 0.3
        ru[:3] = False
        self.person_ru = ru
        self.person_ws = np.clip(rng.beta(1.5, 9.0, n_persons), 0, 0.6)  # mobile-app share
        self.person_ws[:first_student] *= 0.3

        # special users: two deleted students, one suspended student
        act_p = self.p_student & self.c_active[self.p_course]
        cands = np.unique(self.p_person[act_p])
        chosen = rng.choice(cands, 3, replace=False)
        self.deleted_persons = np.sort(chosen[:2])
        self.suspended_person = int(chosen[2])
        forced = act_p & (self.p_person == self.suspended_person)
        arch[forced] = _A_ABRUPT
        self.p_arch = arch

    def _plan_enrolments(self) -> None:
        rng = self.rng("enrolments")
        P, now = self.P, self.now
        c = self.p_course
        S, W = self.c_start[c], self.c_weeks[c]
        cw = self.c_curweek[c]
        student = self.p_student
        arch = self.p_arch

        # enrol instances per course: manual (enabled), guest (disabled), self
        self.e_id = np.arange(1, 3 * self.C + 1, dtype=np.int64)
        self.e_course = np.repeat(np.arange(self.C), 3)
        self.e_method = np.tile(np.array(["manual", "guest", "self"], dtype=object), self.C)
        self.e_status = np.tile(np.array([0, 1, 0]), self.C)
        self.e_status[2::3] = np.where(self.c_self_enrol, 0, 1)

        selfm = student & self.c_self_enrol[c] & (rng.random(P) < 0.35)
        self.p_enrolid = np.where(selfm, self.e_id[3 * c + 2], self.e_id[3 * c])

        r = rng.random((4, P))
        created_manual = S - rng.integers(DAY, 21 * DAY, P)
        created_self = S - rng.integers(0, 14 * DAY, P)
        tcreated = np.where(selfm, created_self, created_manual)
        # manual: from the course start, or from the moment of enrolment ("today")
        tstart = np.where(selfm | (r[0] >= 0.6), tcreated, S)
        tstart = np.where(~selfm & (r[1] < 0.03), 0, tstart)  # 0: no start restriction

        # late enrolments: during week L (2..4), never after the current week
        late_week = np.minimum(rng.integers(2, 5, P), np.maximum(2, np.where(
            self.c_finished[c], W // 3, cw - 1)))  # fmt: skip
        late_t = S + (late_week - 1) * WEEK + rng.integers(0, 5 * DAY, P) + rng.integers(
            9 * HOUR, 20 * HOUR, P)  # fmt: skip
        is_late = arch == _A_LATE
        tstart = np.where(is_late, late_t, tstart)
        tcreated = np.where(is_late, late_t - np.where(selfm, 0, rng.integers(0, 2 * HOUR, P)),
                            tcreated)  # fmt: skip

        # future course: pre-enrolled recently
        fut = np.array([k == "future" for k in self.c_kind])[c]
        tcreated = np.where(fut & student, now - rng.integers(DAY, 14 * DAY, P), tcreated)
        tstart = np.where(fut & student, S, tstart)
        # teachers: enrolled well before the start (never after now)
        t_teacher = np.minimum(S - rng.integers(20 * DAY, 40 * DAY, P), now - rng.integers(
            HOUR, 5 * DAY, P))  # fmt: skip
        tcreated = np.where(student, tcreated, t_teacher)
        tstart = np.where(student, tstart, t_teacher)
        if np.any((tstart > 0) & (tstart < tcreated)) or np.any(tcreated > now):
            raise AssertionError("enrolment times out of order")

        self.p_tcreated = tcreated.astype(np.int64)
        self.p_tstart = tstart.astype(np.int64)
        self.p_late_week = np.where(is_late, late_week, 0)
        self.p_tend = np.zeros(P, dtype=np.int64)
        self.p_status = np.zeros(P, dtype=np.int64)

    def _plan_behaviour(self) -> None:
        rng = self.rng("behaviour")
        P, C = self.P, self.C
        c = self.p_course
        W = self.c_weeks[c]
        cw = self.c_curweek[c]
        fin = self.c_finished[c]
        arch = self.p_arch
        student = self.p_student

        # base engagement and ability
        noise = rng.normal(0.0, 1.0, P)
        base = np.select(
            [arch == _A_HIGH, arch == _A_LOW, arch == _A_LATE, arch == _A_NEVER, ~student],
            [1.0 * np.exp(0.2 * noise), 0.3 * np.exp(0.25 * noise), 0.7 * np.exp(0.3 * noise),
             0.0 * noise, 1.0 + 0.0 * noise],
            0.75 * np.exp(0.25 * noise),
        )  # fmt: skip
        self.p_b = np.where(student, base, 1.0)
        b1 = np.minimum(self.p_b, 1.0)
        self.p_ability = np.clip(0.35 + 0.45 * b1 + rng.normal(0, 0.1, P), 0.05, 0.98)
        self.p_lateness = np.exp(rng.normal(0, 0.35, P))

        # dropout week d (last week with activity), fade length, comeback gap, ...
        hi_fade = np.where(fin, (0.75 * W).astype(np.int64), np.minimum((0.75 * W), cw + 2))
        hi_fade = np.maximum(hi_fade.astype(np.int64), 3)
        d_fade = 3 + (rng.random(P) * (hi_fade - 2)).astype(np.int64)
        fade_len = np.minimum(rng.integers(3, 6, P), d_fade - 1)
        hi_abr = np.where(fin, (0.8 * W).astype(np.int64), np.minimum((0.8 * W).astype(np.int64),
                                                                     cw))  # fmt: skip
        hi_abr = np.maximum(hi_abr, 2)
        d_abr = 2 + (rng.random(P) * (hi_abr - 1)).astype(np.int64)
        gap_len = rng.integers(2, 4, P)
        hi_gap = np.where(fin, W - gap_len - 1, np.maximum(3, cw - 1))
        hi_gap = np.maximum(hi_gap, 2)
        gap_at = 2 + (rng.random(P) * (hi_gap - 1)).astype(np.int64)
        drop = np.select([arch == _A_FADE, arch == _A_ABRUPT], [d_fade, d_abr], 0)
        self.p_drop = drop.astype(np.int64)

        # weekly activity curve M[p, n], n = course week number (0 = week before start)
        wmax = int(self.c_weeks.max())
        self.wcols = wmax + 3
        n = np.arange(self.wcols)[None, :]
        Wc = W[:, None]
        shape = np.where(
            n == 0,
            0.12,
            np.where(
                n <= Wc,
                1.0 - 0.2 * (n - 1) / Wc,
                np.where(n == Wc + 1, 0.15, np.where(n == Wc + 2, 0.07, 0.0)),
            ),
        )
        d = drop[:, None]
        fl = fade_len[:, None]
        fading = np.where(n <= d - fl, 1.0, np.where(n <= d, 1.0 - 0.8 * (n - (d - fl)) / fl,
                                                     0.0))  # fmt: skip
        abrupt = (n <= d).astype(float)
        g, q = gap_at[:, None], gap_len[:, None]
        comeback = np.where((n >= g) & (n < g + q), 0.0, np.where(n >= g + q, 0.85, 1.0))
        late = (n >= self.p_late_week[:, None]).astype(float)
        a = arch[:, None]
        f = np.select(
            [a == _A_FADE, a == _A_ABRUPT, a == _A_COMEBACK, a == _A_NEVER, a == _A_LATE],
            [fading, abrupt, comeback, 0.0 * fading, late],
            1.0,
        )
        teacher_curve = (n <= Wc + 2).astype(float)
        M = np.where(student[:, None], shape * f, teacher_curve)
        M = M * self.c_active[c][:, None]
        self.M = M.astype(np.float32)

        # course rhythm R[c, n]: deadlines, a reading week, the final rush
        R = np.ones((C, self.wcols))
        for ci in range(C):
            w = int(self.c_weeks[ci])
            rw = int(rng.integers(max(2, w // 3), max(3, 2 * w // 3) + 1))
            R[ci, rw] *= 0.5
            R[ci, w] *= 1.2
            R[ci] *= self.c_popularity[ci]
        self.R = R.astype(np.float32)

        # early-ended enrolments (teacher unenrols an inactive student) and suspended ones
        S = self.c_start[c]
        end = self.c_end[c]
        tend = S + drop * WEEK + rng.integers(1, 15, P) * DAY + rng.integers(8, 18, P) * HOUR
        cand = ((arch == _A_FADE) | (arch == _A_ABRUPT)) & (tend < self.now - HOUR) & (
            (end == 0) | (tend < end))  # fmt: skip
        ended = cand & (rng.random(P) < 0.35)
        if cand.any() and not ended.any():
            ended[np.flatnonzero(cand)[0]] = True
        self.p_tend = np.where(ended, tend, 0).astype(np.int64)
        scand = (arch == _A_ABRUPT) & ~ended & (drop < self.c_curweek[c])
        susp = scand & (rng.random(P) < 0.15)
        if scand.any() and not susp.any():
            susp[np.flatnonzero(scand)[-1]] = True
        self.p_status = susp.astype(np.int64)

        # when the participant may act in the course
        self.p_astart = np.where(self.p_tstart > 0, self.p_tstart, self.p_tcreated)
        self.p_aend = np.where(self.p_tend > 0, self.p_tend, _INF).astype(np.int64)
        self.p_rate = np.where(student, self.size.sessions_per_week * self.p_b,
                               self.size.teacher_sessions_per_week)  # fmt: skip
        self.p_eps = np.where(student, self.size.events_per_session * (0.6 + 0.4 * b1),
                              self.size.events_per_session * 1.2)  # fmt: skip

        # user ids: guest 1, admin 2, then by account creation time
        self._assign_user_ids(rng)

    def _assign_user_ids(self, rng: np.random.Generator) -> None:
        n = self.n_persons
        install = int(self.c_start.min()) - 400 * DAY
        created = np.full(n, install, dtype=np.int64)
        created[2] = install + DAY
        created[3 : self.first_student] = install + rng.integers(2 * DAY, 60 * DAY,
                                                                 self.n_teachers)  # fmt: skip
        first_enrol = np.full(n, _INF)
        np.minimum.at(first_enrol, self.p_person, self.p_tcreated)
        st = np.arange(self.first_student, n)
        lead = rng.integers(HOUR, 60 * DAY, st.size)
        fe = first_enrol[st]
        never = fe == _INF
        rand_t = install + (rng.random(st.size) * (self.now - install)).astype(np.int64)
        created[st] = np.where(never, rand_t, np.maximum(fe - lead, install + 3 * DAY))
        created = np.minimum(created, self.now - HOUR)
        order = np.lexsort((np.arange(n), created))
        order = np.concatenate([[0, 1], order[~np.isin(order, [0, 1])]])
        uid = np.empty(n, dtype=np.int64)
        uid[order] = np.arange(1, n + 1)
        self.person_uid = uid
        self.person_created = created
        self.p_user = uid[self.p_person]
        self.install_time = install

    def _plan_modules(self) -> None:
        rng = self.rng("modules")
        C, now = self.C, self.now
        cm_course, cm_type, cm_sec, cm_vis, cm_added, cm_inst, cm_ctx, cm_secid = (
            [], [], [], [], [], [], [], [])  # fmt: skip
        inst_count = {m: 0 for m in _MOD}
        assigns, quizzes, feedbacks = [], [], []
        # context ids: 1 system, 2 frontpage, categories, then each course and its modules
        ctx_rows = [(1, 10, 0), (2, 50, 1)]
        for cat_id, _, _ in _CATEGORIES:
            ctx_rows.append((len(ctx_rows) + 1, 40, cat_id))
        self.c_ctx = np.zeros(C, dtype=np.int64)
        sec_id = 1  # course_sections ids; 1 = frontpage section 0

        def add(c, mod, s, visible, added, sid):
            inst_count[mod] += 1
            cm_course.append(c)
            cm_type.append(_MOD[mod])
            cm_sec.append(s)
            cm_vis.append(visible)
            cm_added.append(min(int(added), now - HOUR))
            cm_inst.append(inst_count[mod])
            cm_secid.append(sid)
            ctx_rows.append((len(ctx_rows) + 1, 70, -1))  # instanceid filled below
            cm_ctx.append(len(ctx_rows))
            return len(cm_course) - 1

        # frontpage: site announcements forum
        add(-1, "forum", 0, 1, self.install_time + HOUR, sec_id)
        for c in range(C):
            ctx_rows.append((len(ctx_rows) + 1, 50, int(self.c_id[c])))
            self.c_ctx[c] = len(ctx_rows)
            S, W = int(self.c_start[c]), int(self.c_weeks[c])
            sec_base = sec_id + 1
            sec_id += W + 1

            def prepared(r=rng, S=S):
                return S - int(r.integers(8 * DAY, 30 * DAY))

            add(c, "forum", 0, 1, prepared(), sec_base)  # announcements
            add(c, "page", 0, 1, prepared(), sec_base)  # course guide
            if rng.random() < 0.5:
                add(c, "forum", 0, 1, prepared(), sec_base)  # Q&A forum
            fb_sec = math.ceil(W / 2) if self.c_feedback[c] else -1
            for s in range(1, W + 1):
                sid = sec_base + s
                early = s <= 2 or rng.random() < 0.7
                when = prepared() if early else S + (s - 1) * WEEK - int(
                    rng.integers(DAY, 5 * DAY))  # fmt: skip
                for _ in range(1 + int(rng.binomial(2, 0.5))):
                    add(c, "resource", s, int(rng.random() > 0.04), when, sid)
                if rng.random() < 0.5:
                    add(c, "page", s, int(rng.random() > 0.04), when, sid)
                if rng.random() < 0.35:
                    add(c, "url", s, int(rng.random() > 0.04), when, sid)
                if rng.random() < 0.1:
                    add(c, "folder", s, 1, when, sid)
                if rng.random() < 0.3:
                    add(c, "label", s, 1, when, sid)
                if rng.random() < 0.25:
                    add(c, "forum", s, 1, when, sid)
                if s % int(self.c_assign_every[c]) == 0 or s == 1:
                    assigns.append((add(c, "assign", s, 1, when, sid), s))
                if s % int(self.c_quiz_every[c]) == 0 or s == W:
                    quizzes.append((add(c, "quiz", s, 1, when, sid), s))
                if s == fb_sec:
                    feedbacks.append(add(c, "feedback", s, 1, when, sid))

        self.cm_course = np.array(cm_course, dtype=np.int64)
        self.cm_type = np.array(cm_type, dtype=np.int64)
        self.cm_sec = np.array(cm_sec, dtype=np.int64)
        self.cm_visible = np.array(cm_vis, dtype=np.int64)
        self.cm_added = np.array(cm_added, dtype=np.int64)
        self.cm_inst = np.array(cm_inst, dtype=np.int64)
        self.cm_ctx = np.array(cm_ctx, dtype=np.int64)
        self.cm_secid = np.array(cm_secid, dtype=np.int64)
        self.cm_id = np.arange(1, len(cm_course) + 1, dtype=np.int64)
        ctx = np.array(ctx_rows, dtype=np.int64)
        ctx[self.cm_ctx - 1, 2] = self.cm_id
        self.ctx = ctx

        # assignments
        a_cm = np.array([a for a, _ in assigns], dtype=np.int64)
        a_sec = np.array([s for _, s in assigns], dtype=np.int64)
        ac = self.cm_course[a_cm]
        sec_end = self.c_start[ac] + a_sec * WEEK
        due = sec_end - self.c_due_shift[ac] - 60
        no_due = rng.random(a_cm.size) < 0.1
        due = np.where(no_due, 0, due)
        cut = np.where((rng.random(a_cm.size) < 0.5) & ~no_due, due + 7 * DAY, 0)
        self.a_cm, self.a_sec, self.a_course = a_cm, a_sec, ac
        self.a_due, self.a_cut = due.astype(np.int64), cut.astype(np.int64)
        self.a_grademax = np.where(rng.random(a_cm.size) < 0.8, 100.0, 10.0)
        self.a_gradepass = np.where(rng.random(a_cm.size) < 0.4, 0.5 * self.a_grademax, 0.0)

        # quizzes
        q_cm = np.array([q for q, _ in quizzes], dtype=np.int64)
        q_sec = np.array([s for _, s in quizzes], dtype=np.int64)
        qc = self.cm_course[q_cm]
        close = self.c_start[qc] + q_sec * WEEK + 3 * DAY - 60
        self.q_cm, self.q_sec, self.q_course = q_cm, q_sec, qc
        self.q_close = np.where(rng.random(q_cm.size) < 0.85, close, 0).astype(np.int64)
        self.q_final = q_sec == self.c_weeks[qc]
        self.q_sumgrades = rng.choice([10.0, 15.0, 20.0], q_cm.size)
        self.q_grade = rng.choice([10.0, 100.0], q_cm.size)
        self.q_gradepass = np.where(rng.random(q_cm.size) < 0.5, 0.6 * self.q_grade, 0.0)
        self.f_cm = np.array(feedbacks, dtype=np.int64)

        # lookup tables for browsing sessions
        smax = int(self.c_weeks.max())
        ns = smax + 1
        viewable = (self.cm_course >= 0) & (self.cm_visible == 1) & (
            _VIEW_KIND[self.cm_type] >= 0)  # fmt: skip
        vp = np.flatnonzero(viewable)
        key = self.cm_course[vp] * ns + self.cm_sec[vp]
        grid = np.arange(C)[:, None] * ns + np.arange(ns)[None, :]
        lo = np.searchsorted(key, grid, "left")
        cnt = np.searchsorted(key, grid, "right") - lo
        fb = np.zeros((C, ns), dtype=np.int64)
        for ci in range(C):
            last = 0
            for s in range(ns):
                if cnt[ci, s] > 0:
                    last = s
                fb[ci, s] = last
        rows = np.arange(C)[:, None]
        self.vp = vp
        self.vp_lo = lo[rows, fb]
        self.vp_cnt = cnt[rows, fb]
        fp = np.flatnonzero((self.cm_course >= 0) & (self.cm_visible == 1)
                            & (self.cm_type == _MOD["forum"]))  # fmt: skip
        fkey = self.cm_course[fp] * ns + self.cm_sec[fp]
        self.fp = fp
        self.fp_lo = np.searchsorted(fkey, np.arange(C) * ns, "left")
        self.fp_cum = np.searchsorted(fkey, grid, "right") - self.fp_lo[:, None]
        self.pp_lo = np.searchsorted(self.p_course, np.arange(C), "left")
        self.pp_cnt = np.searchsorted(self.p_course, np.arange(C), "right") - self.pp_lo

    def _plan_window_grid(self) -> None:
        act = self.c_active
        self.t0 = _monday(int(self.c_start[act].min())) - 5 * WEEK
        self.n_windows = (self.now - self.t0) // WEEK + 1
        self.c_startwin = (self.c_start - self.t0) // WEEK  # may be negative for future courses

    def _pairs(self, items_course: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(item, participant) pairs: every student of an active course x its items."""
        items, parts = [], []
        for c in np.flatnonzero(self.c_active):
            it = np.flatnonzero(items_course == c)
            st = np.flatnonzero((self.p_course == c) & self.p_student)
            items.append(np.tile(it, st.size))
            parts.append(np.repeat(st, it.size))
        if not items:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(items).astype(np.int64), np.concatenate(parts).astype(np.int64)

    def _decide_assignments(self) -> None:
        rng = self.rng("assign")
        now = self.now
        a, p = self._pairs(self.a_course)
        n = a.size
        c = self.p_course[p]
        S, W = self.c_start[c], self.c_weeks[c]
        D, cut = self.a_due[a], self.a_cut[a]
        open_t = S + (self.a_sec[a] - 1) * WEEK
        nominal = np.where(D > 0, D, open_t + 2 * WEEK)
        week = np.clip((nominal - S) // WEEK + 1, 1, W)
        m = self.M[p, week].astype(float)
        b1 = np.minimum(self.p_b[p], 1.0)
        eng = b1 * m
        active = m > 0.05
        r = rng.random((8, n))
        sub = active & (r[0] < 0.04 + 0.93 * eng**0.6)
        p_late = np.clip((0.06 + 0.35 * (1 - b1)) * self.p_lateness[p], 0, 0.8)
        late = sub & (D > 0) & (r[1] < p_late)
        lead = (rng.exponential(30 * HOUR, n) + 300).astype(np.int64)
        t = np.where(D > 0, D - lead, open_t + (rng.exponential(6 * DAY, n) + 600).astype(
            np.int64))  # fmt: skip
        too_early = (D > 0) & (t < open_t + 600)
        t = np.where(too_early, open_t + 600 + (r[2] * np.maximum(D - open_t - 1200, 0)).astype(
            np.int64), t)  # fmt: skip
        t_late = D + 60 + rng.exponential(2.5 * DAY, n).astype(np.int64)
        t_late = np.where(cut > 0, np.minimum(t_late, cut - 60 - (r[3] * HOUR).astype(np.int64)),
                          t_late)  # fmt: skip
        t = np.where(late, t_late, t)
        # late enrolees catch up on earlier work sometimes
        astart, aend = self.p_astart[p], self.p_aend[p]
        catchup = sub & (t < astart) & (r[4] < 0.4)
        t_cu = astart + HOUR + rng.exponential(2 * DAY, n).astype(np.int64)
        catchup &= (cut == 0) | (t_cu < cut)
        t = np.where(catchup, t_cu, t)
        sub &= (t >= astart) & (t <= aend)
        done = sub & (t <= now - 60)

        # not (yet) submitted: an opened-but-empty ('new') or a 'draft' submission, or no row
        tv = np.where(D > 0, D - rng.integers(DAY, 6 * DAY, n),
                      open_t + rng.integers(HOUR, 7 * DAY, n))  # fmt: skip
        tv = np.maximum(tv, open_t + 300)
        tv_ok = active & (tv >= astart) & (tv <= aend) & (tv <= now - 600)
        status = np.zeros(n, dtype=np.int64)  # 0 none, 1 new, 2 draft, 3 submitted
        status = np.where(~done & tv_ok & (r[5] < 0.45), 1, status)
        status = np.where(~done & tv_ok & (r[5] >= 0.45) & (r[5] < 0.65), 2, status)
        status = np.where(done, 3, status)
        tmod = np.select([status == 3, status == 2, status == 1], [t, tv + 60, tv], 0)

        # grading
        base_g = np.where(D > 0, np.maximum(t, D), t) + rng.integers(1, 8, n) * DAY
        t_grade = base_g - base_g % DAY + rng.integers(8 * HOUR, 18 * HOUR, n)
        graded = done & (t_grade <= now)
        pct = np.clip(self.p_ability[p] + rng.normal(0, 0.12, n) - 0.08 * late, 0, 1)
        grade = np.round(self.a_grademax[a] * pct, 2)
        zero_base = D + rng.integers(7, 11, n) * DAY
        t_zero = zero_base - zero_base % DAY + rng.integers(8 * HOUR, 18 * HOUR, n)
        zero = (~done & self.c_zero_missing[c] & (D > 0) & (t_zero <= now) & (astart <= D)
                & (aend >= D))  # fmt: skip
        null_row = (status == 2) & (r[6] < 0.5) & (tv + 3 * DAY <= now)
        t_null = tv + rng.integers(DAY, 3 * DAY, n)
        gweek = np.clip((t_grade - S) // WEEK + 1, 0, self.wcols - 1)
        fb_ok = graded & (self.M[p, gweek] > 0.05) & (r[7] < 0.3 + 0.5 * b1)
        t_fb = t_grade + 600 + rng.exponential(1.5 * DAY, n).astype(np.int64)
        fb_ok &= (t_fb <= now) & (t_fb <= aend)

        self.as_a, self.as_p, self.as_status, self.as_tmod = a, p, status, tmod
        self.as_late = done & (D > 0) & (t > D)
        self.as_grade = np.where(graded, grade, np.where(zero, 0.0, np.nan))
        self.as_grade_t = np.select([graded, zero, null_row], [t_grade, t_zero, t_null], -1)
        self.as_has_grade = graded | zero | null_row

        # log chains
        j = rng.integers(0, 200, (6, n))
        neg = np.full(n, -1, dtype=np.int64)
        cv_sub = t - 600 + j[0]
        cv_tv = np.where(status == 2, tv - 200, tv - 60 - j[0] % 60)
        s_sub, s_draft, s_new = status == 3, status == 2, status == 1
        opened = s_sub | s_draft | s_new
        cv = np.select([s_sub, opened], [cv_sub, cv_tv], -1)
        av = np.where(opened, cv + 20 + j[1] % 40, -1)
        sv1 = np.where(opened, av + 10 + j[2] % 20, -1)
        up = np.select([s_sub, s_draft], [t - 20 - j[3] % 100, tv + 60], -1)
        grader = self.person_uid[self.c_teacher_person[c]]
        student_uid = self.p_user[p]
        teach_t = np.select([graded, zero], [t_grade, t_zero], -1)
        base = {
            "user": student_uid, "course": c, "cm": self.a_cm[a], "pidx": p,
            "origin": (rng.random(n) < 0.5 * self.person_ws[self.p_person[p]]).astype(np.int64),
        }  # fmt: skip
        slots = [
            _Slot(_K["course_viewed"], cv),
            _Slot(_K["assign_viewed"], av),
            _Slot(_K["status_viewed"], sv1),
            _Slot(_K["uploaded"], up),
            _Slot(_K["submitted"], np.where(s_sub, t, neg)),
            _Slot(_K["status_viewed"], np.where(s_sub, t + 5 + j[4] % 20, neg)),
            _Slot(_K["submission_graded"], teach_t, user=grader, related=student_uid,
                  student_activity=False),
            _Slot(_K["user_graded"], np.where(teach_t >= 0, teach_t + 2 + j[5] % 30, -1),
                  user=grader, related=student_uid, course_level=True, student_activity=False),
            _Slot(_K["assign_feedback_viewed"], np.where(fb_ok, t_fb, neg), related=student_uid),
        ]  # fmt: skip
        self.src_assign = (base, slots)

    def _decide_quizzes(self) -> None:
        rng = self.rng("quiz")
        now = self.now
        q, p = self._pairs(self.q_course)
        n = q.size
        c = self.p_course[p]
        S = self.c_start[c]
        open_t = S + (self.q_sec[q] - 1) * WEEK
        close = self.q_close[q]
        nclose = np.where(close > 0, close, open_t + 10 * DAY)
        m = self.M[p, self.q_sec[q]].astype(float)
        b1 = np.minimum(self.p_b[p], 1.0)
        eng = b1 * m
        r = rng.random((6, n))
        att = (m > 0.05) & (r[0] < 0.06 + 0.9 * eng**0.5)
        ts = nclose - (rng.exponential(2 * DAY, n) + 1800).astype(np.int64)
        span = np.maximum(nclose - open_t - 3600, 0)
        ts = np.where(ts < open_t, open_t + (r[1] * span).astype(np.int64), ts)
        astart, aend = self.p_astart[p], self.p_aend[p]
        t_cu = astart + 600 + rng.exponential(DAY, n).astype(np.int64)
        cu = att & (ts < astart) & (r[2] < 0.5) & ((close == 0) | (t_cu < close))
        ts = np.where(cu, t_cu, ts)
        att &= (ts >= astart) & (ts <= aend) & (ts <= now - 60)
        dur = (240 + rng.exponential(900, n)).astype(np.int64)
        tf = ts + dur
        score = np.clip(self.p_ability[p] + rng.normal(0.03, 0.13, n), 0, 1)
        abandon = r[3] < 0.025
        finished = att & ~abandon & (tf <= now)
        state1 = np.where(finished, 2, np.where(abandon & (close > 0) & (close <= now), 3, 1))
        # second attempts for weaker first results
        ts2 = tf + 600 + (r[4] * 2 * DAY).astype(np.int64)
        dur2 = (240 + rng.exponential(700, n)).astype(np.int64)
        second = (finished & (score < 0.75) & (r[5] < 0.4) & ((close == 0) | (ts2 < close))
                  & (ts2 <= now - 60) & (ts2 <= aend))  # fmt: skip
        score2 = np.minimum(1.0, score + np.abs(rng.normal(0.1, 0.08, n)))
        tf2 = ts2 + dur2
        fin2 = second & (tf2 <= now)

        # attempts table (first attempts, then second attempts)
        i1 = np.flatnonzero(att)
        i2 = np.flatnonzero(second)
        at_pair = np.concatenate([i1, i2])
        at_no = np.concatenate([np.ones(i1.size, np.int64), np.full(i2.size, 2, np.int64)])
        at_ts = np.concatenate([ts[i1], ts2[i2]])
        at_fin = np.concatenate([finished[i1], fin2[i2]])
        at_state = np.concatenate([state1[i1], np.where(fin2[i2], 2, 1)])
        at_tf = np.concatenate([tf[i1], tf2[i2]])
        at_score = np.concatenate([score[i1], score2[i2]])
        qq = q[at_pair]
        self.qa_q, self.qa_p, self.qa_no = qq, p[at_pair], at_no
        self.qa_state, self.qa_ts = at_state, at_ts
        self.qa_tf = np.where(at_fin, at_tf, 0)
        self.qa_sum = np.where(at_fin, np.round(self.q_sumgrades[qq] * at_score, 2), np.nan)

        # quiz grades per pair: best finished attempt, at the last finish time
        best = np.where(finished, score, -1.0)
        best = np.where(fin2, np.maximum(best, score2), best)
        last_t = np.where(fin2, tf2, np.where(finished, tf, -1))
        has = best >= 0
        self.qg_q, self.qg_p = q[has], p[has]
        self.qg_grade = np.round(best[has] * self.q_grade[q[has]], 2)
        self.qg_t = last_t[has]

        # log chains, one per attempt
        k = at_pair
        na = k.size
        j = rng.integers(0, 120, (4, na))
        nview = rng.integers(1, 5, na)
        t_end = np.where(at_fin, at_tf, at_ts + np.concatenate([dur[i1], dur2[i2]]))
        su = self.p_user[p[k]]
        neg = np.full(na, -1, dtype=np.int64)
        slots = [
            _Slot(_K["course_viewed"], np.where(at_no == 1, at_ts - 100 - j[0], neg)),
            _Slot(_K["quiz_viewed"], at_ts - 30 - j[1] % 60),
            _Slot(_K["attempt_started"], at_ts, related=su),
        ]
        for v in range(4):
            tv = at_ts + (t_end - at_ts) * (v + 1) // (nview + 1)
            slots.append(_Slot(_K["attempt_viewed"], np.where(v < nview, tv, neg), related=su))
        slots.append(_Slot(_K["attempt_submitted"], np.where(at_fin, at_tf, neg), related=su))
        rev = at_fin & (rng.random(na) < 0.7)
        slots.append(_Slot(_K["attempt_reviewed"], np.where(rev, at_tf + 15 + j[2], neg),
                           related=su))  # fmt: skip
        base = {
            "user": su, "course": c[k], "cm": self.q_cm[q[k]], "pidx": p[k],
            "origin": (rng.random(na) < self.person_ws[self.p_person[p[k]]]).astype(np.int64),
        }  # fmt: skip
        self.src_quiz = (base, slots)

    def _decide_feedback(self) -> None:
        rng = self.rng("feedback")
        f_course = self.cm_course[self.f_cm]
        f, p = self._pairs(f_course)
        n = f.size
        c = self.p_course[p]
        s = self.cm_sec[self.f_cm[f]]
        m = self.M[p, s].astype(float)
        eng = np.minimum(self.p_b[p], 1.0) * m
        t = self.c_start[c] + (s - 1) * WEEK + (rng.random(n) * 6 * DAY).astype(np.int64) + HOUR
        ok = (m > 0.05) & (rng.random(n) < 0.1 + 0.6 * eng) & (t >= self.p_astart[p]) & (
            t <= self.p_aend[p])  # fmt: skip
        neg = np.full(n, -1, dtype=np.int64)
        base = {"user": self.p_user[p], "course": c, "cm": self.f_cm[f], "pidx": p,
                "origin": np.zeros(n, np.int64)}  # fmt: skip
        slots = [
            _Slot(_K["feedback_viewed"], np.where(ok, t - 30 - rng.integers(0, 90, n), neg)),
            _Slot(_K["response_submitted"], np.where(ok, t, neg)),
        ]
        self.src_feedback = (base, slots)
