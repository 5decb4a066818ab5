"""The independent sampler: where each resource is active, read from every node's own Dummy state files every
5 ms (never pcs, never the CIB), with the intervals during which a resource was active on two nodes or more.
"""
import os
import threading
import time

PERIOD_S = 0.005
HISTORY_MAX = 200_000  # changes kept (a limit on memory; a trial produces a few dozen)


class Sampler:
    def __init__(self, nodes, resources):
        self.nodes = nodes
        self.resources = resources
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self.snapshot = {r: frozenset() for r in resources}
        self._initial = self.snapshot
        self.changes = []  # (monotonic time, snapshot) whenever a resource's set of nodes changes
        self.overlaps = []  # (resource, start, end or None while open, frozenset of nodes seen)
        self._open = {}  # resource -> index into overlaps
        self.samples = 0
        self.period_max_s = 0.0
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)

    def start(self):
        self._sample(time.monotonic())
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def _read(self):
        return {r: frozenset(n.name for n in self.nodes if os.path.exists(n.state_file(r))) for r in self.resources}

    def _sample(self, now):
        snap = self._read()
        with self._lock:
            self.samples += 1
            if snap != self.snapshot:
                self.snapshot = snap
                if len(self.changes) < HISTORY_MAX:
                    self.changes.append((now, snap))
                self._changed.notify_all()
            for r, where in snap.items():
                if len(where) >= 2:
                    if r not in self._open:
                        self._open[r] = len(self.overlaps)
                        self.overlaps.append([r, now, None, where])
                    else:
                        o = self.overlaps[self._open[r]]
                        o[3] = o[3] | where
                elif r in self._open:
                    self.overlaps[self._open.pop(r)][2] = now

    def _loop(self):
        # A higher priority for this thread only (Linux: a thread's tid names it to setpriority), so that the
        # samples keep their 5 ms period on a busy machine; it costs six stat calls per period.
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -10)
        except OSError:
            pass
        last = time.monotonic()
        while not self._stop.is_set():
            t = time.monotonic()
            self.period_max_s = max(self.period_max_s, t - last)
            last = t
            self._sample(t)
            time.sleep(max(0.0, PERIOD_S - (time.monotonic() - t)))

    def current(self):
        with self._lock:
            return dict(self.snapshot)

    def wait_for(self, predicate, since, timeout_s):
        """The sample time of the first snapshot at or after `since` for which predicate(snapshot) holds, or None
        after timeout_s. Times come from the sampler, not from when this thread woke up."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                # The snapshot in force at `since`, then every change after it.
                in_force = self._initial
                for t, snap in reversed(self.changes):
                    if t <= since:
                        in_force = snap
                        break
                if predicate(in_force):
                    return since
                for t, snap in self.changes:
                    if t > since and predicate(snap):
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.05))

    def overlaps_between(self, start, end):
        """Overlap intervals that intersect [start, end], clipped to it: (resource, ms, nodes, start)."""
        out = []
        with self._lock:
            for r, s, e, where in self.overlaps:
                e_eff = e if e is not None else time.monotonic()
                if e_eff < start or s > end:
                    continue
                lo, hi = max(s, start), min(e_eff, end)
                out.append((r, max(0.0, (hi - lo) * 1000), sorted(where), s))
        return out

    def changes_between(self, start, end):
        with self._lock:
            return [(t, snap) for t, snap in self.changes if start <= t <= end]


def group_on(snapshot, resources):
    """The node on which every resource of the group is active, if exactly one node holds them all."""
    common = None
    for r in resources:
        common = snapshot[r] if common is None else common & snapshot[r]
    return sorted(common) if common else []


def single_copy(snapshot, resources):
    """The node holding the whole group when each resource is active on exactly one node, the same one; else None."""
    where = {r: snapshot[r] for r in resources}
    if all(len(w) == 1 for w in where.values()) and len(set(where.values())) == 1:
        return next(iter(where[resources[0]]))
    return None
