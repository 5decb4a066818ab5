"""The writes fault: `pcs resource create Dk ocf:heartbeat:Dummy` (k = 1..n) through random live nodes while
one node's clusterd is kill -9'd and restarted every ~6.5 s (the DC once). Afterwards every node's CIB is read
through its own socket and from its own disk; an acknowledged write (pcs exit 0) missing from any of them is lost.
"""
import glob
import hashlib
import json
import os
import random
import threading
import time
import xml.etree.ElementTree as ET

import ops

KILL_EVERY_S = 6.5
DOWN_S = 1.0
WRITE_TIMEOUT_S = 30
CONVERGE_BOUND_S = 60
WRITES_BOUND_S = 900  # the client loop stops sending after this long (reported as writes_sent < WRITES)
WRITE_BOUND_PER_WRITE_S = 2  # ... or after 2 s per write when that is longer (WRITES=1000: 2000 s)


def disk_cib(n):
    """The newest CIB version on n's disk whose digest matches (as clusterd's CIBStore reads it), or None."""
    for path in sorted(glob.glob(n.dir + "/cib/cib-*.xml"), reverse=True):
        try:
            data = open(path, "rb").read()
            digest = open(path + ".sha256").read().strip()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == digest:
            return data.decode("utf-8", "replace")
    return None


def socket_cib(c, n):
    rc, out, _ = c.tool("cibadmin", n, "--query", timeout=20)
    return out if rc == 0 else None


def configuration(xml_text):
    """(canonical text of <configuration>, set of primitive ids) or (None, set()) when unreadable."""
    if not xml_text:
        return None, set()
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return None, set()
    conf = root.find("configuration")
    if conf is None:
        return None, set()
    ids = {p.get("id") for p in conf.iter("primitive")}
    return ET.canonicalize(ET.tostring(conf, encoding="unicode"), strip_text=True), ids


class Killer(threading.Thread):
    """Kills one node's clusterd (-9) every KILL_EVERY_S and restarts it DOWN_S later; the second victim is the DC."""

    def __init__(self, c, log, rng):
        super().__init__(name="killer", daemon=True)
        self.c = c
        self.log = log
        self.rng = rng
        self.stop = threading.Event()
        self.kills = []
        self.error = None

    def run(self):
        try:
            round_ = 0
            while not self.stop.wait(KILL_EVERY_S):
                round_ += 1
                dc = ops.current_dc(self.c)
                if round_ == 2 and dc is not None:
                    victim = self.c.node(dc)
                else:
                    victim = self.rng.choice([n for n in self.c.nodes if n.name != dc and n.alive()] or self.c.nodes)
                self.kills.append((time.monotonic(), victim.name, victim.name == dc))
                self.log("  writes: kill -9 %s%s" % (victim.name, " (DC)" if victim.name == dc else ""))
                self.c.kill9_clusterd(victim)
                time.sleep(DOWN_S)
                if not victim.alive():
                    self.c.start(victim)
        except Exception as e:  # reported by the runner; the client loop goes on without kills
            self.error = e


def run_writes(c, sampler, count, log, seed, started, attempts_path):
    rng = random.Random(seed)
    killer = Killer(c, log, rng)
    extra = [] if started else ["--disabled"]
    acked, refused = [], []
    attempts = []
    killer.start()
    out = open(attempts_path, "w")
    t_begin = time.monotonic()
    bound_s = max(WRITES_BOUND_S, WRITE_BOUND_PER_WRITE_S * count)
    try:
        for k in range(1, count + 1):
            if time.monotonic() - t_begin > bound_s:
                log("  writes: stopped after %d s with %d sent" % (bound_s, k - 1))
                break
            live = [n for n in c.nodes if n.alive()] or c.nodes
            n = rng.choice(live)
            t = time.monotonic()
            rc, _, err = c.pcs(n, "resource", "create", "D%d" % k, "ocf:heartbeat:Dummy", *extra,
                               timeout=WRITE_TIMEOUT_S)
            attempts.append({"id": "D%d" % k, "via": n.name, "rc": rc, "ms": round((time.monotonic() - t) * 1000),
                             "stderr": err.strip()[-300:]})
            out.write(json.dumps(attempts[-1]) + "\n")
            out.flush()
            (acked if rc == 0 else refused).append("D%d" % k)
            if k % 20 == 0:
                log("  writes: %d sent, %d acknowledged, %.0f s" % (k, len(acked), time.monotonic() - t_begin))
    finally:
        out.close()
        killer.stop.set()
        killer.join(timeout=KILL_EVERY_S + 30)
    if killer.error is not None:
        log("  writes: the killer stopped early: %s" % killer.error)
    ops.start_missing(c, log)
    ok, _, _ = ops.settle(c, sampler, log, 120)
    if not ok:
        log("  writes: the cluster did not settle within 120 s after the writes")
    # Replication may still be in flight: give the nodes a bounded time to agree before judging.
    t0 = time.monotonic()
    while time.monotonic() - t0 < CONVERGE_BOUND_S:
        confs = {configuration(socket_cib(c, n))[0] for n in c.nodes}
        if len(confs) == 1 and None not in confs:
            break
        time.sleep(1)
    views = {}
    for n in c.nodes:
        views[n.name] = {"socket": socket_cib(c, n), "disk": disk_cib(n)}
    return evaluate(acked, refused, views), attempts, killer.kills, views


def evaluate(acked, refused, views):
    """lost_writes: acknowledged ids missing from some node's CIB (socket or disk); divergent_cibs: nodes outside
    the largest group of identical configurations, plus nodes whose disk and socket disagree."""
    lost = set()
    per_node = {}
    canon = {}
    for name, v in views.items():
        sock_conf, sock_ids = configuration(v["socket"])
        disk_conf, disk_ids = configuration(v["disk"])
        missing = [a for a in acked if a not in sock_ids or a not in disk_ids]
        lost.update(missing)
        per_node[name] = {"missing_acked": sorted(missing, key=lambda x: int(x[1:])),
                          "disk_matches_socket": sock_conf is not None and sock_conf == disk_conf,
                          "resources": len(sock_ids)}
        canon[name] = sock_conf
    groups = {}
    for name, conf in canon.items():
        groups.setdefault(conf, []).append(name)
    largest = max((len(v) for k, v in groups.items() if k is not None), default=0)
    divergent = {name for conf, names in groups.items() for name in names if conf is None or len(names) < largest}
    if largest and sum(1 for k, v in groups.items() if k is not None and len(v) == largest) > 1:
        divergent = set(views)  # no majority: every node differs from some other
    divergent.update(name for name, p in per_node.items() if not p["disk_matches_socket"])
    present_unacked = set()
    for name, v in views.items():
        present_unacked.update(r for r in refused if r in configuration(v["socket"])[1])
    return {"writes_sent": len(acked) + len(refused), "acked_writes": len(acked), "refused_writes": len(refused), "lost_writes": len(lost),
            "divergent_cibs": len(divergent), "unacked_present": len(present_unacked),
            "lost": sorted(lost, key=lambda x: int(x[1:])), "per_node": per_node}


def summary_line(result):
    return ("fault=writes acked_writes=%d lost_writes=%d divergent_cibs=%d writes_sent=%d refused_writes=%d "
            "unacked_present=%d" % (result["acked_writes"], result["lost_writes"], result["divergent_cibs"],
                                    result["writes_sent"], result["refused_writes"], result["unacked_present"]))
