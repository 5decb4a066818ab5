"""What the runner asks of a running cluster: each node's view (`pcs status` through its own socket), the DC,
the user's group, where it should run, and waiting until the cluster has settled.
"""
import time

from cluster import HarnessError
from sampler import single_copy

GROUP = "web"
RESOURCES = ["VIP", "service"]  # both ocf:heartbeat:Dummy, monitor every 2 s
QUORUM_BOUND_S = 60
STATUS_TIMEOUT_S = 10


class View:
    def __init__(self, online, dc, quorate):
        self.online = online
        self.dc = dc
        self.quorate = quorate


def view(c, n):
    """n's own view from `pcs status` through its socket, or None when it does not answer."""
    if not n.alive():
        return None
    rc, out, _ = c.pcs(n, "status", timeout=STATUS_TIMEOUT_S)
    if rc != 0:
        return None
    online, dc = [], None
    for line in out.splitlines():
        if "Online: [" in line:
            online = line.split("[", 1)[1].split("]", 1)[0].split()
        elif "Current DC:" in line:
            words = line.split("Current DC:", 1)[1].split()
            dc = words[0] if words and words[0] != "NONE" else None
    return View(sorted(online), dc, "partition with quorum" in out)


def device_vote_counted(c, n):
    """Whether n's votequorum counts the arbiter's vote (`pcs quorum status`: total votes = nodes + 1)."""
    if not n.alive():
        return False
    rc, out, _ = c.pcs(n, "quorum", "status", timeout=STATUS_TIMEOUT_S)
    for line in out.splitlines() if rc == 0 else []:
        if line.startswith("Total votes:"):
            return line.split(":", 1)[1].strip() == str(len(c.nodes) + 1)
    return False


def all_joined(c):
    """Every node runs, sees all three online with quorum, and all name the same DC; returns that DC or None."""
    names = sorted(n.name for n in c.nodes)
    dcs = set()
    for n in c.nodes:
        v = view(c, n)
        if v is None or v.online != names or not v.quorate or v.dc is None:
            return None
        dcs.add(v.dc)
    return dcs.pop() if len(dcs) == 1 else None


def current_dc(c):
    for n in c.nodes:
        v = view(c, n)
        if v is not None and v.dc is not None:
            return v.dc
    return None


def start_missing(c, log):
    """Starts every node whose clusterd is not running (killed by a fault or by its watchdog: a reboot)."""
    for n in c.nodes:
        if not n.alive():
            if n.proc is not None:
                log("  %s: clusterd had exited (rc %s); starting it" % (n.name, n.proc.returncode))
            c.start(n)


def settle(c, sampler, log, bound_s, target=None):
    """Waits until all three nodes have joined one DC and the group runs as one copy (on `target` if given),
    twice in a row. Returns (settled, seconds waited, home)."""
    t0 = time.monotonic()
    good = 0
    home = None
    while time.monotonic() - t0 < bound_s:
        start_missing(c, log)
        dc = all_joined(c)
        home = single_copy(sampler.current(), RESOURCES)
        if dc is not None and home is not None and (target is None or home == target):
            good += 1
            if good >= 2:
                return True, time.monotonic() - t0, home
        else:
            good = 0
        time.sleep(0.25)
    return False, time.monotonic() - t0, home


def bring_up(c, sampler, log, properties):
    """Starts all nodes, waits for quorum, creates the group."""
    for n in c.nodes:
        c.start(n)
    t0 = time.monotonic()
    while all_joined(c) is None:
        if time.monotonic() - t0 > QUORUM_BOUND_S:
            raise HarnessError("the three nodes did not join one quorate DC within %d s" % QUORUM_BOUND_S)
        for n in c.nodes:
            if not n.alive():
                raise HarnessError("%s's clusterd exited at start-up (rc %s); see %s" % (n.name, n.proc.returncode,
                                                                                         n.log))
        time.sleep(0.25)
    via = c.nodes[0]
    for p in ["stonith-enabled=false"] + list(properties):
        c.pcs_ok(via, "property", "set", p)
    c.pcs_ok(via, "resource", "defaults", "update", "resource-stickiness=1")
    for r in RESOURCES:
        c.pcs_ok(via, "resource", "create", r, "ocf:heartbeat:Dummy", "op", "monitor", "interval=2s", "--group",
                 GROUP)
    ok, _, _ = settle(c, sampler, log, QUORUM_BOUND_S)
    if not ok:
        raise HarnessError("the group did not start as one copy within %d s" % QUORUM_BOUND_S)


class Placement:
    """The location constraint that puts the group where the next trial wants its owner."""

    def __init__(self):
        self.home = None

    def place(self, c, target, log):
        if self.home == target:
            return
        via = next(n for n in c.nodes if n.alive())
        if self.home is not None:
            c.pcs(via, "constraint", "remove", "location-%s-%s-100" % (GROUP, self.home))
        c.pcs_ok(via, "constraint", "location", GROUP, "prefers", "%s=100" % target)
        log("  placement: %s prefers %s" % (GROUP, target))
        self.home = target
