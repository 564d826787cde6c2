"""The demo site's log: event chains and browsing sessions, written window by window.

The second stage of the generator (early_warning.demo.generator): the planned
decisions become log events (early_warning.demo.planning) and the browsing sessions
are drawn week by week; rows are streamed to ``logstore_standard_log`` in time
order, so the whole log is never held in memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from early_warning.demo.catalogue import (
    _C_COURSE,
    _C_DISC_NEW,
    _C_DISC_VIEW,
    _C_GRADES,
    _C_MODUPDATE,
    _C_MODVIEW,
    _C_POST,
    _C_USERLIST,
    _CUM_STUDENT,
    _CUM_TEACHER,
    _DAY_P,
    _EV_ANON,
    _EV_EDULEVEL,
    _EV_LEVEL,
    _EV_STR,
    _HOUR_P,
    _INF,
    _K,
    _MOD,
    _ORIGINS,
    _VIEW_KIND,
    DAY,
    HOUR,
    WEEK,
)
from early_warning.demo.tables import _nint, _Output, _Reporter

# ---------------------------------------------------------------------------
# Event batches (compact log rows before they become Arrow)
# ---------------------------------------------------------------------------

_EV_FIELDS = {
    "t": np.int64,  # timecreated
    "kind": np.int64,  # index into _EVENTS
    "user": np.int64,  # userid
    "course": np.int64,  # course index (-1: site level)
    "cm": np.int64,  # course module index (-1: none)
    "related": np.int64,  # relateduserid (-1: NULL)
    "origin": np.int64,  # 0 web, 1 ws, 2 cli
    "pidx": np.int64,  # enrolment (participant) index of the acting user (-1: none)
}


def _ev_empty() -> dict[str, np.ndarray]:
    return {k: np.empty(0, dtype=d) for k, d in _EV_FIELDS.items()}


def _ev_concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    batches = [b for b in batches if b["t"].size]
    if not batches:
        return _ev_empty()
    if len(batches) == 1:
        return batches[0]
    return {k: np.concatenate([b[k] for b in batches]) for k in _EV_FIELDS}


def _ev_take(ev: dict[str, np.ndarray], idx) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in ev.items()}


def _ev_make(n: int, **cols) -> dict[str, np.ndarray]:
    out = {}
    for k in _EV_FIELDS:
        v = cols.get(k, -1 if k in ("course", "cm", "related", "pidx") else 0)
        out[k] = np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)).copy()
    return out


@dataclass
class _Slot:
    """One event of a chain: its kind and time (-1: absent) plus optional overrides."""

    kind: int
    t: np.ndarray
    user: np.ndarray | None = None  # default: the chain's user
    related: np.ndarray | None = None  # default: NULL
    course_level: bool = False  # True: cm = -1
    student_activity: bool = True  # False: pidx = -1


class _ChainSource:
    """Structured events (submissions, attempts, ...) emitted window by window.

    ``base`` holds per-chain arrays (user, course, cm, pidx, origin); each slot
    gives one event per chain at ``slot.t`` (or none where ``t < 0``). Chains are
    bucketed by the window of their earliest event, so all of a chain's events
    are generated in that window (later ones wait in the pending buffer).
    """

    def __init__(self, name: str, base: dict[str, np.ndarray], slots: list[_Slot],
                 t0: int, now: int):  # fmt: skip
        for s in slots:
            s.t = np.where(s.t > now, -1, s.t)
        times = np.stack([s.t for s in slots])
        present = times >= 0
        first = np.where(present, times, _INF).min(axis=0)
        keep = present.any(axis=0)
        if keep.any() and first[keep].min() < t0:
            raise AssertionError(f"{name}: an event before the first log window")
        bucket = np.where(keep, (first - t0) // WEEK, -1)
        order = np.argsort(bucket, kind="stable")
        order = order[keep[order]]
        self.name = name
        self.base = {k: v[order] for k, v in base.items()}
        self.slots = slots
        for s in slots:
            s.t = s.t[order]
            if s.user is not None:
                s.user = s.user[order]
            if s.related is not None:
                s.related = s.related[order]
        self.bucket = bucket[order]

    def events(self, window: int) -> dict[str, np.ndarray]:
        lo, hi = np.searchsorted(self.bucket, [window, window + 1])
        if lo == hi:
            return _ev_empty()
        b = {k: v[lo:hi] for k, v in self.base.items()}
        out = []
        for s in self.slots:
            t = s.t[lo:hi]
            m = t >= 0
            if not m.any():
                continue
            n = int(m.sum())
            out.append(_ev_make(
                n, t=t[m], kind=s.kind,
                user=(s.user[lo:hi] if s.user is not None else b["user"])[m],
                course=b["course"][m],
                cm=-1 if s.course_level else b["cm"][m],
                related=s.related[lo:hi][m] if s.related is not None else -1,
                origin=b["origin"][m],
                pidx=b["pidx"][m] if s.student_activity else -1,
            ))  # fmt: skip
        return _ev_concat(out)


class _LogWriting:
    """The log stage of the demo site (a part of early_warning.demo.generator._Site)."""

    def _misc_sources(self) -> list[tuple[str, dict, list[_Slot]]]:
        """Small chain sources: stray visits, module creation, admin logins."""
        rng = self.rng("misc-events")
        out = []
        # visits after the enrolment ended / was suspended
        P = self.P
        c = self.p_course
        gone = np.where(self.p_tend > 0, self.p_tend,
                        self.c_start[c] + self.p_drop * WEEK + 7 * DAY)  # fmt: skip
        cand = self.p_student & ((self.p_tend > 0) | (self.p_status == 1)) & (rng.random(P) < 0.6)
        t1 = gone + rng.integers(HOUR, 14 * DAY, P)
        t1 = np.where(cand, t1, -1)
        t2 = np.where((t1 >= 0) & (rng.random(P) < 0.5), t1 + rng.integers(20, 200, P), -1)
        base = {"user": self.p_user, "course": c, "cm": np.full(P, -1, np.int64),
                "pidx": np.arange(P), "origin": np.zeros(P, np.int64)}  # fmt: skip
        out.append(("stray", base, [
            _Slot(_K["course_viewed"], t1),
            _Slot(_K["grade_report_viewed"], t2, related=self.p_user),
        ]))  # fmt: skip
        # teachers adding modules
        cm = np.flatnonzero(self.cm_course >= 0)
        cm = cm[self.c_active[self.cm_course[cm]]]
        cc = self.cm_course[cm]
        teacher = self.person_uid[self.c_teacher_person[cc]]
        base = {"user": teacher, "course": cc, "cm": cm, "pidx": np.full(cm.size, -1, np.int64),
                "origin": np.zeros(cm.size, np.int64)}  # fmt: skip
        t = np.where(self.cm_added[cm] >= self.t0, self.cm_added[cm], -1)
        out.append(("cm_created", base, [_Slot(_K["cm_created"], t, student_activity=False)]))
        # weekly logins of the admin and the manager
        weeks = np.arange(self.n_windows)
        users = np.repeat(self.person_uid[[1, 2]], weeks.size)
        wk = np.tile(weeks, 2)
        t = self.t0 + wk * WEEK + 9 * HOUR + rng.integers(0, 4 * HOUR, wk.size)
        base = {"user": users, "course": np.full(wk.size, -1, np.int64),
                "cm": np.full(wk.size, -1, np.int64), "pidx": np.full(wk.size, -1, np.int64),
                "origin": np.zeros(wk.size, np.int64)}  # fmt: skip
        out.append(("admin", base, [_Slot(_K["loggedin"], t, student_activity=False)]))
        return out

    # -- the log ---------------------------------------------------------------

    def _sessions(self, window: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Browsing sessions of all participants in one calendar week."""
        now = self.now
        w0 = self.t0 + window * WEEK
        c_all = self.p_course
        nwk = window - self.c_startwin[c_all] + 1  # course week number per participant
        valid = (nwk >= 0) & (nwk <= self.c_weeks[c_all] + 2) & self.c_active[c_all]
        idx = np.flatnonzero(valid)
        if not idx.size:
            return _ev_empty()
        col = nwk[idx]
        lam = (self.p_rate[idx] * self.M[idx, col] * self.R[c_all[idx], col]
               * rng.gamma(3.0, 1 / 3, idx.size))  # fmt: skip
        ns = rng.poisson(lam)
        sp = np.repeat(idx, ns)  # participant of each session
        n_s = sp.size
        if not n_s:
            return _ev_empty()
        person = self.p_person[sp]
        tz = np.where(self.person_ru[person], 3, 0)
        day = rng.choice(7, n_s, p=_DAY_P)
        hour = rng.choice(24, n_s, p=_HOUR_P)
        off = day * DAY + hour * HOUR + rng.integers(0, HOUR, n_s) - tz * HOUR
        t0 = w0 + np.mod(off, WEEK)
        keep = (t0 >= self.p_astart[sp]) & (t0 <= self.p_aend[sp]) & (t0 <= now)
        sp, t0, person = sp[keep], t0[keep], person[keep]
        n_s = sp.size
        if not n_s:
            return _ev_empty()
        login = rng.random(n_s) < 0.55
        origin = (rng.random(n_s) < self.person_ws[person]).astype(np.int64)
        shift = np.where(login, rng.integers(3, 40, n_s), 0)
        ne = 1 + rng.poisson(self.p_eps[sp])
        E = int(ne.sum())
        es = np.repeat(np.arange(n_s), ne)
        first = np.cumsum(ne) - ne
        gaps = rng.exponential(75.0, E).astype(np.int64) + 4
        gaps[first] = 0
        cs = np.cumsum(gaps)
        t = t0[es] + shift[es] + cs - cs[first][es]

        pe = sp[es]
        c = c_all[pe]
        teacher = ~self.p_student[pe]
        u = rng.random((7, E))
        cls = np.where(teacher, np.searchsorted(_CUM_TEACHER, u[0], side="right"),
                       np.searchsorted(_CUM_STUDENT, u[0], side="right"))  # fmt: skip
        cls[first] = _C_COURSE
        nw = nwk[pe]
        cur = np.clip(nw, 1, self.c_weeks[c])
        lag = rng.geometric(0.45, E) - 1
        sec = np.where(u[1] < 0.08, 0, np.maximum(cur - lag, 0))
        cm_view = self.vp[self.vp_lo[c, sec] + (u[2] * self.vp_cnt[c, sec]).astype(np.int64)]
        cm_forum = self.fp[self.fp_lo[c] + (u[3] * self.fp_cum[c, cur]).astype(np.int64)]
        mt = self.cm_type[cm_view]
        vk = _VIEW_KIND[mt]
        alt = u[4] < 0.45
        vk = np.where(
            (mt == _MOD["assign"]) & alt,
            np.where(teacher, _K["grading_table_viewed"], _K["status_viewed"]),
            vk,
        )
        vk = np.where((mt == _MOD["forum"]) & alt, _K["discussion_viewed"], vk)
        kind = np.select(
            [cls == _C_COURSE, cls == _C_MODVIEW, cls == _C_GRADES, cls == _C_DISC_VIEW,
             cls == _C_POST, cls == _C_DISC_NEW, cls == _C_USERLIST, cls == _C_MODUPDATE],
            [_K["course_viewed"], vk, _K["grade_report_viewed"], _K["discussion_viewed"],
             _K["post_created"], _K["discussion_created"], _K["user_list_viewed"],
             _K["cm_updated"]],
            _K["grader_report_viewed"])  # fmt: skip
        cm = np.select([(cls == _C_MODVIEW) | (cls == _C_MODUPDATE),
                        (cls == _C_DISC_VIEW) | (cls == _C_POST) | (cls == _C_DISC_NEW)],
                       [cm_view, cm_forum], -1)  # fmt: skip
        user = self.p_user[pe]
        other = self.p_user[self.pp_lo[c] + (u[5] * self.pp_cnt[c]).astype(np.int64)]
        related = np.where((cls == _C_POST) & (u[6] < 0.6) & (other != user), other, -1)
        related = np.where(cls == _C_GRADES, user, related)
        ev = _ev_make(E, t=t, kind=kind, user=user, course=c, cm=cm, related=related,
                      origin=origin[es], pidx=pe)  # fmt: skip
        li = np.flatnonzero(login)
        logins = _ev_make(li.size, t=t0[li], kind=_K["loggedin"], user=self.p_user[sp[li]],
                          origin=origin[li])  # fmt: skip
        return _ev_concat([logins, ev])

    def write_log(self, out: _Output, report: _Reporter) -> None:
        """Generate the log window by window, in time order, and stream it to disk."""
        now = self.now
        sources = [
            _ChainSource("assign", *self.src_assign, self.t0, now),
            _ChainSource("quiz", *self.src_quiz, self.t0, now),
            _ChainSource("feedback", *self.src_feedback, self.t0, now),
        ]
        sources += [_ChainSource(name, b, s, self.t0, now) for name, b, s in self._misc_sources()]
        stream = out.stream("logstore_standard_log")
        pending = _ev_empty()
        buffer: list[dict[str, np.ndarray]] = []
        buffered = 0
        next_id = 1
        self.first_act = np.full(self.P, _INF)
        self.last_act = np.full(self.P, -1, dtype=np.int64)
        self.user_last = np.zeros(int(self.person_uid.max()) + 1, dtype=np.int64)
        last_report = time.perf_counter()

        def flush():
            nonlocal buffer, buffered, next_id
            if not buffered:
                return
            ev = _ev_concat(buffer)
            stream.write(self._log_columns(ev, next_id))
            next_id += ev["t"].size
            buffer, buffered = [], 0

        for w in range(int(self.n_windows)):
            w0, w1 = self.t0 + w * WEEK, self.t0 + (w + 1) * WEEK
            rng = self.rng("log", w)
            new = [self._sessions(w, rng)] + [s.events(w) for s in sources]
            new = _ev_concat(new)
            if new["t"].size and new["t"].min() < w0:
                raise AssertionError("an event was generated for an already written window")
            new = _ev_take(new, new["t"] <= now)
            pend = _ev_concat([pending, new])
            order = np.argsort(pend["t"], kind="stable")
            pend = _ev_take(pend, order)
            cut = int(np.searchsorted(pend["t"], w1, "left"))
            emit = _ev_take(pend, slice(0, cut))
            pending = _ev_take(pend, slice(cut, None))
            if emit["t"].size:
                self._track(emit)
                buffer.append(emit)
                buffered += emit["t"].size
                if buffered >= self.size.chunk_rows:
                    flush()
            if time.perf_counter() - last_report > 5 or w == self.n_windows - 1:
                last_report = time.perf_counter()
                report.line(f"logstore_standard_log  week {w + 1}/{self.n_windows}, "
                            f"{next_id - 1 + buffered:,} rows")  # fmt: skip
        if pending["t"].size:
            raise AssertionError("events left after the last window")
        flush()
        stream.close()

    def _track(self, ev: dict[str, np.ndarray]) -> None:
        m = ev["pidx"] >= 0
        np.minimum.at(self.first_act, ev["pidx"][m], ev["t"][m])
        np.maximum.at(self.last_act, ev["pidx"][m], ev["t"][m])
        np.maximum.at(self.user_last, ev["user"], ev["t"])

    def _log_columns(self, ev: dict[str, np.ndarray], first_id: int) -> dict:
        n = ev["t"].size
        kind = ev["kind"]
        lvl = _EV_LEVEL[kind]
        cm = np.maximum(ev["cm"], 0)
        course = np.maximum(ev["course"], 0)
        kind_pa = pa.array(kind)
        cols = {name: arr.take(kind_pa) for name, arr in _EV_STR.items()}
        cols.update({
            "id": np.arange(first_id, first_id + n, dtype=np.int64),
            "edulevel": _EV_EDULEVEL[kind],
            "contextid": np.where(lvl == 70, self.cm_ctx[cm],
                                  np.where(lvl == 50, self.c_ctx[course], 1)),
            "contextlevel": lvl,
            "contextinstanceid": np.where(lvl == 70, self.cm_id[cm],
                                          np.where(lvl == 50, self.c_id[course], 0)),
            "userid": ev["user"],
            "courseid": np.where(ev["course"] >= 0, self.c_id[course], 0),
            "relateduserid": _nint(ev["related"], ev["related"] < 0),
            "anonymous": _EV_ANON[kind],
            "timecreated": ev["t"],
            "origin": _ORIGINS.take(pa.array(ev["origin"])),
        })  # fmt: skip
        return cols

    # -- the other tables --------------------------------------------------------
