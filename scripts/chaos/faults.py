"""One trial of each fault: place the group, inject the fault at t0, time the failover from the sampler, undo
the fault, wait until the cluster has settled. The trial's double running is the longest interval, anywhere in
its window (placement to settled), during which a resource was active on two nodes or more.
"""
import signal
import time

import ops
from sampler import group_on

# Two nodes + vigil-arbiter: the cluster link cut (the arbiter still reaches both), the arbiter cut from the owner
# only, a hard kill of the owner (whole node), the arbiter killed (the pair must keep running, and it rejoins).
TWO_NODE_FAULTS = ["two-node-cut", "two-node-arbiter-cut", "two-node-kill", "two-node-arbiter-kill"]
# one-way-cut: the owner's packets to the DC are lost for CUT_S, the DC's still reach the owner (and the third node
# hears both). The membership leaves out the higher-numbered of the two; if that is the owner, the group fails over.
FAULTS = ["kill9-clusterd", "kill9-node", "kill9-dc", "kill-restart", "sigstop", "partition",
          "graceful-restart", "one-way-cut"] + TWO_NODE_FAULTS
ARBITER_DOWN_S = 3.0
FAILOVER_BOUND_S = 30
SETTLE_BOUND_S = 90
FREEZE_S = 5.0
CUT_S = 5.0
RESTART_AFTER_S = 1.0
STOP_BOUND_S = 60


class Trial:
    def __init__(self, fault, number):
        self.fault = fault
        self.number = number
        self.owner = None
        self.dc = None
        self.failover_ms = None
        self.double_run_ms = 0.0
        self.overlaps = []
        self.settled = False
        self.settle_s = None
        self.notes = []
        self.watchdog_fired = []
        self.t_begin = self.t0 = self.t_end = None

    def record(self):
        return {
            "fault": self.fault, "trial": self.number, "owner": self.owner, "dc": self.dc,
            "failover_ms": None if self.failover_ms is None else round(self.failover_ms, 1),
            "double_run_ms": round(self.double_run_ms, 1), "settled": self.settled,
            "settle_s": None if self.settle_s is None else round(self.settle_s, 2),
            "overlaps": [{"resource": r, "ms": round(ms, 1), "nodes": nodes, "at_ms": round((s - self.t0) * 1000, 1)}
                         for r, ms, nodes, s in self.overlaps],
            "watchdog_fired": self.watchdog_fired, "notes": self.notes,
        }


def choose_owner(c, fault, placement):
    """kill9-dc puts the group on the DC; every other fault on a node that is not the DC (so the two differ)."""
    dc = ops.current_dc(c)
    if fault == "kill9-dc":
        return dc, dc
    if placement.home is not None and placement.home != dc:
        return placement.home, dc
    return next(n.name for n in c.nodes if n.name != dc), dc


def wait_failover(sampler, owner, t0, bound_s):
    """Sampler time at which the whole group was first active on a node other than `owner`, or None."""
    def moved(snap):
        return any(n != owner for n in group_on(snap, ops.RESOURCES))
    return sampler.wait_for(moved, t0, bound_s)


def sleep_until(t):
    left = t - time.monotonic()
    if left > 0:
        time.sleep(left)


def run_trial(c, sampler, fault, number, placement, log):
    t = Trial(fault, number)
    t.t_begin = time.monotonic()
    owner_name, t.dc = choose_owner(c, fault, placement)
    t.owner = owner_name
    if owner_name is None:
        t.notes.append("no DC before the trial")
        t.t0 = t.t_end = time.monotonic()
        return t
    placement.place(c, owner_name, log)
    ok, _, _ = ops.settle(c, sampler, log, SETTLE_BOUND_S, target=owner_name)
    if not ok:
        t.notes.append("the group did not settle on %s before the fault" % owner_name)
        t.t0 = t.t_end = time.monotonic()
        finish(t, sampler)
        return t
    owner = c.node(owner_name)
    expiries = {n.name: c.watchdog_expiries(n) for n in c.nodes}
    log("trial %s #%d: owner %s, DC %s" % (fault, number, owner_name, t.dc))
    failover = None
    t.t0 = time.monotonic()
    if fault in ("kill9-clusterd", "kill9-dc"):
        c.kill9_clusterd(owner)
        failover = wait_failover(sampler, owner_name, t.t0, FAILOVER_BOUND_S)
        # The killed node comes back a moment after the survivors took over (or after the bound).
        time.sleep(RESTART_AFTER_S)
        c.start(owner)
    elif fault == "kill9-node":
        c.crash_node(owner)
        failover = wait_failover(sampler, owner_name, t.t0, FAILOVER_BOUND_S)
        time.sleep(RESTART_AFTER_S)
        c.start(owner)
    elif fault == "kill-restart":
        c.kill9_clusterd(owner)
        sleep_until(t.t0 + RESTART_AFTER_S)
        if not owner.alive():
            c.start(owner)
        # The restarted node may keep the group (no failover): then none is recorded for this trial.
        failover = wait_failover(sampler, owner_name, t.t0, 10)
    elif fault == "sigstop":
        c.signal(owner, signal.SIGSTOP)
        failover = wait_failover(sampler, owner_name, t.t0, FREEZE_S)
        sleep_until(t.t0 + FREEZE_S)
        if owner.alive():
            c.signal(owner, signal.SIGCONT)
        else:
            t.notes.append("the frozen clusterd was killed during the freeze (watchdog)")
        if failover is None:
            failover = wait_failover(sampler, owner_name, t.t0, FAILOVER_BOUND_S)
    elif fault == "partition":
        c.set_link(owner, False)
        failover = wait_failover(sampler, owner_name, t.t0, CUT_S)
        sleep_until(t.t0 + CUT_S)
        c.set_link(owner, True)
        if failover is None:
            failover = wait_failover(sampler, owner_name, t.t0, FAILOVER_BOUND_S)
    elif fault == "one-way-cut":
        dc = c.node(t.dc)
        c.set_one_way_cut(owner, dc, True)
        failover = wait_failover(sampler, owner_name, t.t0, CUT_S)
        sleep_until(t.t0 + CUT_S)
        views = {v.name: ops.view(c, v) for v in c.nodes}
        t.notes.append("views during the cut: %s" % "; ".join(
            "%s [%s]%s" % (name, ",".join(v.online) if v else "?", " quorate" if v and v.quorate else "")
            for name, v in sorted(views.items())))
        c.set_one_way_cut(owner, dc, False)
    elif fault == "two-node-cut":
        c.set_link(owner, False)
        failover = wait_failover(sampler, owner_name, t.t0, CUT_S)
        sleep_until(t.t0 + CUT_S)
        quorate = [v.name for v in c.nodes if (ops.view(c, v) or ops.View([], None, False)).quorate]
        t.notes.append("quorate during the cut: %s" % (",".join(quorate) or "none"))
        c.set_link(owner, True)
    elif fault == "two-node-arbiter-cut":
        c.set_arbiter_link(owner, False)
        failover = wait_failover(sampler, owner_name, t.t0, CUT_S)
        sleep_until(t.t0 + CUT_S)
        c.set_arbiter_link(owner, True)
    elif fault == "two-node-kill":
        c.crash_node(owner)
        failover = wait_failover(sampler, owner_name, t.t0, FAILOVER_BOUND_S)
        time.sleep(RESTART_AFTER_S)
        c.start(owner)
    elif fault == "two-node-arbiter-kill":
        c.kill_arbiter()
        failover = wait_failover(sampler, owner_name, t.t0, ARBITER_DOWN_S)
        sleep_until(t.t0 + ARBITER_DOWN_S)
        joined = ops.all_joined(c)
        t.notes.append("arbiter down: %s" % ("both nodes quorate, one DC" if joined else "NOT both quorate"))
        c.start_arbiter()
        back = time.monotonic() + ARBITER_DOWN_S
        while time.monotonic() < back and not all(ops.device_vote_counted(c, v) for v in c.nodes):
            time.sleep(0.1)
        t.notes.append("arbiter back: %s" % (
            "both nodes count its vote again" if all(ops.device_vote_counted(c, v) for v in c.nodes)
            else "its vote is NOT counted again within %.0f s" % ARBITER_DOWN_S))
    elif fault == "graceful-restart":
        stopper = c.spawn_extra([c.bin + "/pcs", "cluster", "stop"], env=c.pcs_env(owner), log=owner.dir + "/pcs.log")
        failover = wait_failover(sampler, owner_name, t.t0, STOP_BOUND_S)
        try:
            stopper.wait(timeout=STOP_BOUND_S)
        except Exception:
            t.notes.append("pcs cluster stop did not return within %d s" % STOP_BOUND_S)
        try:
            owner.proc.wait(timeout=STOP_BOUND_S)
        except Exception:
            t.notes.append("clusterd did not exit after pcs cluster stop; killed")
            c.kill9_clusterd(owner)
        if stopper.returncode not in (0, None):
            t.notes.append("pcs cluster stop exited with %s" % stopper.returncode)
        c.start(owner)
    else:
        raise ValueError("unknown fault " + fault)
    if failover is not None:
        t.failover_ms = (failover - t.t0) * 1000
    else:
        t.notes.append("no failover observed")
    t.settled, t.settle_s, home = ops.settle(c, sampler, log, SETTLE_BOUND_S)
    if not t.settled:
        t.notes.append("not settled within %d s (group on %s)" % (SETTLE_BOUND_S, home))
    finish(t, sampler)
    for n in c.nodes:
        fired = c.watchdog_expiries(n) - expiries[n.name]
        if fired > 0:
            t.watchdog_fired.append(n.name)
            t.notes.append("%s's watchdog expired %d time(s)" % (n.name, fired))
        if n.watchdog is not None and n.watchdog.poll() is not None:
            t.notes.append("%s's watchdog stand-in exited (rc %s)" % (n.name, n.watchdog.returncode))
    return t


def finish(t, sampler):
    t.t_end = time.monotonic()
    t.overlaps = sampler.overlaps_between(t.t_begin, t.t_end)
    t.double_run_ms = max((ms for _, ms, _, _ in t.overlaps), default=0.0)


def timeline(t, sampler):
    """The sampler's changes during the trial, relative to the fault, for the trial log."""
    lines = []
    for when, snap in sampler.changes_between(t.t_begin, t.t_end):
        where = " ".join("%s@%s" % (r, ",".join(sorted(snap[r])) or "-") for r in ops.RESOURCES)
        lines.append("  %+9.1f ms  %s" % ((when - t.t0) * 1000, where))
    return lines


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def summary_line(fault, trials, sample_gap_ms_max):
    failovers = [t.failover_ms for t in trials if t.failover_ms is not None]

    def ms(x):
        return "-" if x is None else "%.0f" % x
    return ("fault=%s double_run_ms_max=%.0f double_run_trials=%d failover_p50_ms=%s failover_p99_ms=%s "
            "trials=%d no_failover=%d unsettled=%d sample_gap_ms_max=%.0f" % (
                fault, max((t.double_run_ms for t in trials), default=0.0),
                sum(1 for t in trials if t.double_run_ms > 0), ms(pct(failovers, 50)), ms(pct(failovers, 99)),
                len(trials), len(trials) - len(failovers), sum(1 for t in trials if not t.settled),
                sample_gap_ms_max))
