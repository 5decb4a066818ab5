#!/usr/bin/env python3
"""make bench-failover: failover time of a 3-node clusterd cluster on this machine (loopback), and pcs status latency.

Faults, TRIALS each:
  kill    kill -9 the clusterd of the node running the group (not the DC); the "machine" is gone, so its agents'
          state files are removed too; failover = kill -> both group members running on a survivor.
  dc      the same with the DC as the victim (the group is placed on the DC first).
  split   the node running the group is cut off (MembershipShell fault switch, `pcs cluster isolate on`):
          failover = cut -> group running in the majority.
overlap = the longest time VIP or service ran on two nodes at once, sampled through every trial and every settling
(the victim's restart and rejoin, the heal after a cut: a rejoining node that starts the group while a survivor still
runs it counts).
Where a resource runs is read from the Dummy agents' own state files (each node has private agent dirs), sampled
every ~1 ms, so the figures do not depend on pcs or on the CIB.
Prints key=value lines: failover_p50_ms failover_p99_ms dc_failover_p50_ms dc_failover_p99_ms
split_failover_p50_ms overlap_ms_max pcs_status_p50_ms pcs_status_p99_ms.
"""
import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "chaos"))
from cluster import cgroup_root, copy_without_special_files  # noqa: E402

NODES = ["node1", "node2", "node3"]


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Cluster:
    def __init__(self, bin_dir, token_ms, lease_ms, watchdog_timeout_s=None):
        """watchdog_timeout_s: each node gets the vigil-watchdog stand-in (its FIFO as clusterd's watchdog device)
        and its own cgroup, which the stand-in kills on expiry; None: no watchdog."""
        self.bin = bin_dir
        self.dir = tempfile.mkdtemp(prefix="vigil-bench-failover-")
        self.procs = {}
        self.watchdogs = {}
        self.lease_ms = lease_ms
        self.watchdog_timeout_s = watchdog_timeout_s
        self.cgroups = None
        if watchdog_timeout_s is not None:
            self.cgroups = cgroup_root() + "/vigil-bench-failover-%d" % os.getpid()
            os.mkdir(self.cgroups)
            for n in NODES:
                os.mkdir(self.cgroups + "/" + n)
        ports = free_ports(3)
        conf = "totem {\n    version: 2\n    cluster_name: bench\n    token: %d\n}\nnodelist {\n" % token_ms
        for i, n in enumerate(NODES):
            conf += "    node {\n        ring0_addr: 127.0.0.1\n        name: %s\n        nodeid: %d\n" % (n, i + 1)
            conf += "        vigil_port: %d\n    }\n" % ports[i]
        conf += "}\nquorum {\n    provider: corosync_votequorum\n}\n"
        with open(self.dir + "/corosync.conf", "w") as f:
            f.write(conf)
        with open(self.dir + "/authkey", "wb") as f:
            f.write(secrets.token_bytes(256))
        os.chmod(self.dir + "/authkey", 0o600)
        for n in NODES:
            os.makedirs(self.dir + "/" + n, exist_ok=True)

    def sock(self, n):
        return self.dir + "/" + n + "/clusterd.sock"

    def start_watchdog(self, n):
        w = self.watchdogs.get(n)
        if w is not None and w.poll() is None:
            return  # still running (it survives an expiry, disarmed until clusterd arms it again)
        fifo = self.dir + "/" + n + "/watchdog"
        if os.path.exists(fifo):
            os.unlink(fifo)
        log = open(self.dir + "/" + n + "/watchdog.log", "ab")
        self.watchdogs[n] = subprocess.Popen(
            [self.bin + "/vigil-watchdog", "--device", fifo, "--timeout-s", str(self.watchdog_timeout_s), "--cgroup",
             self.cgroups + "/" + n, "--clear", self.dir + "/" + n + "/agents/rsctmp", "--clear",
             self.dir + "/" + n + "/agents/run"], stdout=log, stderr=log, start_new_session=True)
        log.close()
        wait_for(lambda: os.path.exists(fifo), 10, n + "'s watchdog FIFO")

    def kill_cgroup(self, n):
        for _ in range(200):
            with open(self.cgroups + "/" + n + "/cgroup.procs") as f:
                pids = [int(x) for x in f.read().split()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)

    def start(self, n):
        args = [self.bin + "/clusterd", "--corosync-conf", self.dir + "/corosync.conf", "--authkey",
                self.dir + "/authkey", "--state-dir", self.dir + "/" + n, "--node", n, "--socket", self.sock(n),
                "--private-agent-dirs"]
        if self.lease_ms is not None:
            args += ["--lease-ms", str(self.lease_ms)]
        if self.watchdog_timeout_s is not None:
            os.makedirs(self.dir + "/" + n + "/agents/rsctmp", exist_ok=True)
            os.makedirs(self.dir + "/" + n + "/agents/run", exist_ok=True)
            self.start_watchdog(n)
            args += ["--watchdog-device", self.dir + "/" + n + "/watchdog", "--watchdog-timeout-s",
                     str(self.watchdog_timeout_s)]
            # Joins its node's cgroup, then execs clusterd (same pid): the agents' processes inherit the cgroup.
            args = ["/bin/sh", "-c", 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', "sh",
                    self.cgroups + "/" + n] + args
        log = open(self.dir + "/" + n + "/clusterd.log", "ab")
        self.procs[n] = subprocess.Popen(args, stdout=log, stderr=log)

    def kill9(self, n):
        """The node's machine fails: clusterd (and, with the watchdog, everything in its cgroup) is SIGKILLed."""
        p = self.procs.pop(n)
        p.kill()
        p.wait()
        if self.cgroups is not None:
            self.kill_cgroup(n)
            w = self.watchdogs.pop(n, None)
            if w is not None:
                w.kill()
                w.wait()

    def pcs(self, n, *args, check=True):
        env = dict(os.environ, VIGIL_SOCKET=self.sock(n))
        r = subprocess.run([self.bin + "/pcs", *args], env=env, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("pcs %s on %s: %s" % (" ".join(args), n, r.stderr.strip()))
        return r

    def vip_file(self, n):
        return self.dir + "/" + n + "/agents/rsctmp/Dummy-VIP.state"

    def service_file(self, n):
        return self.dir + "/" + n + "/agents/run/Dummy-service.state"

    def running(self):
        """Nodes where VIP runs, and nodes where the whole group runs."""
        vip = [n for n in NODES if os.path.exists(self.vip_file(n))]
        group = [n for n in vip if os.path.exists(self.service_file(n))]
        return vip, group

    def placement(self):
        """Nodes where VIP runs, and nodes where service runs."""
        return ([n for n in NODES if os.path.exists(self.vip_file(n))],
                [n for n in NODES if os.path.exists(self.service_file(n))])

    def wipe_agent_state(self, n):
        for f in (self.vip_file(n), self.service_file(n)):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass

    def stop(self):
        for n, p in list(self.procs.items()):
            p.kill()
            p.wait()
        self.procs.clear()
        for w in self.watchdogs.values():
            w.kill()
            w.wait()
        self.watchdogs.clear()
        if self.cgroups is not None:
            for n in NODES:
                self.kill_cgroup(n)
                os.rmdir(self.cgroups + "/" + n)
            os.rmdir(self.cgroups)
            self.cgroups = None
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(cond, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise RuntimeError("timed out waiting for " + what)


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def all_online(c, via):
    r = c.pcs(via, "status", check=False)
    return r.returncode == 0 and "Online: [ node1 node2 node3 ]" in r.stdout and "with quorum" in r.stdout


class Overlap:
    """The longest time VIP or service ran on two nodes at once, over every sample taken."""

    def __init__(self):
        self.since = {}
        self.max_ms = 0.0
        self.phase = ""
        self.seen = []  # (phase, resource, nodes) of each overlap, as it began

    def sample(self, c):
        now = time.monotonic()
        for rsc, nodes in zip(("VIP", "service"), c.placement()):
            if len(nodes) >= 2:
                if rsc not in self.since:
                    self.since[rsc] = now
                    self.seen.append((self.phase, rsc, nodes))
                    print("%s overlap: %s on %s during %s" % (time.strftime("%H:%M:%S", time.gmtime()) + ".%03d" % (time.time() % 1 * 1000), rsc, " ".join(nodes), self.phase), file=sys.stderr, flush=True)
                self.max_ms = max(self.max_ms, (now - self.since[rsc]) * 1000)
            else:
                self.since.pop(rsc, None)


def settle(c, home, overlap):
    """All three online, the group running only on `home`; overlaps are sampled meanwhile (every ~1 ms, and between
    the pcs status calls, which take a few ms)."""
    deadline = time.monotonic() + 60
    next_status = 0.0
    while time.monotonic() < deadline:
        overlap.sample(c)
        if c.running() == ([home], [home]) and time.monotonic() >= next_status:
            if all_online(c, "node1"):
                return
            next_status = time.monotonic() + 0.05
        time.sleep(0.001)
    raise RuntimeError("timed out waiting for group on " + home)


def trial_kill(c, victim, overlap):
    t0 = time.monotonic()
    c.kill9(victim)
    c.wipe_agent_state(victim)  # the machine is gone, and its services with it
    while True:
        overlap.sample(c)
        vip, group = c.running()
        if any(n != victim for n in group):
            return (time.monotonic() - t0) * 1000
        if time.monotonic() - t0 > 60:
            raise RuntimeError("no failover within 60 s")
        time.sleep(0.001)


def trial_split(c, victim, overlap):
    t0 = time.monotonic()
    c.pcs(victim, "cluster", "isolate", "on")
    while True:
        now = time.monotonic()
        overlap.sample(c)
        vip, group = c.running()
        if any(n != victim for n in group) and len(vip) == 1:
            return (now - t0) * 1000
        if now - t0 > 60:
            raise RuntimeError("no failover within 60 s after the cut")
        time.sleep(0.001)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--token-ms", type=int, default=400)
    ap.add_argument("--lease-ms", type=int, default=None)
    ap.add_argument("--faults", default="kill,dc,split", help="comma-separated subset of kill,dc,split")
    ap.add_argument("--watchdog", action="store_true",
                    help="arm each node's watchdog (the vigil-watchdog stand-in; root: one cgroup per node)")
    ap.add_argument("--watchdog-timeout-s", type=int, default=1)
    ap.add_argument("--keep-on-failure", default=None, help="copy the cluster folder (logs, CIBs) here on a failure")
    a = ap.parse_args()
    c = Cluster(a.bin, a.token_ms, a.lease_ms, a.watchdog_timeout_s if a.watchdog else None)
    results = {"kill": [], "dc": [], "split": []}
    overlap = Overlap()
    try:
        for n in NODES:
            c.start(n)
        wait_for(lambda: all_online(c, "node1"), 30, "quorum")
        c.pcs("node1", "property", "set", "stonith-enabled=false")
        c.pcs("node1", "resource", "defaults", "update", "resource-stickiness=1")
        c.pcs("node1", "resource", "create", "VIP", "ocf:heartbeat:Dummy", "op", "monitor", "interval=2s", "--group", "web")
        c.pcs("node1", "resource", "create", "service", "ocf:pacemaker:Dummy", "op", "monitor", "interval=2s", "--group", "web")
        faults = a.faults.split(",")
        for fault, home in [f for f in (("kill", "node2"), ("dc", "node1"), ("split", "node2")) if f[0] in faults]:
            c.pcs("node3", "constraint", "location", "web", "prefers", home + "=100")
            overlap.phase = "placement of web on " + home
            settle(c, home, overlap)
            for i in range(a.trials):
                overlap.phase = "%s trial %d" % (fault, i + 1)
                if fault == "split":
                    ms = trial_split(c, home, overlap)
                    c.pcs(home, "cluster", "isolate", "off")
                else:
                    ms = trial_kill(c, home, overlap)
                    c.start(home)
                results[fault].append(ms)
                print("%s trial %d: %.0f ms (overlap so far %.0f ms)" % (fault, i + 1, ms, overlap.max_ms),
                      file=sys.stderr, flush=True)
                overlap.phase = "%s trial %d, rejoin" % (fault, i + 1)
                settle(c, home, overlap)
            c.pcs("node3", "constraint", "remove", "location-web-%s-100" % home)
        samples = []
        for _ in range(50):
            t0 = time.monotonic()
            c.pcs("node2", "status")
            samples.append((time.monotonic() - t0) * 1000)
        load = os.getloadavg()
        print("date=%s loadavg_1m=%.2f loadavg_5m=%.2f cpus=%d" % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), load[0], load[1], os.cpu_count() or 0))
        print("trials=%d token_ms=%d watchdog=%s" % (
            a.trials, a.token_ms, "standin timeout_s=%d" % a.watchdog_timeout_s if a.watchdog else "none"))
        print("failover_p50_ms=%.0f failover_p99_ms=%.0f overlap_ms_max=%.0f" % (
            pct(results["kill"], 50), pct(results["kill"], 99), overlap.max_ms))
        print("dc_failover_p50_ms=%.0f dc_failover_p99_ms=%.0f" % (pct(results["dc"], 50), pct(results["dc"], 99)))
        print("split_failover_p50_ms=%.0f split_failover_p99_ms=%.0f" % (pct(results["split"], 50), pct(results["split"], 99)))
        print("pcs_status_p50_ms=%.1f pcs_status_p99_ms=%.1f" % (pct(samples, 50), pct(samples, 99)))
        if overlap.max_ms > 0:
            raise RuntimeError("a resource ran on two nodes at once (overlap_ms_max=%.0f)" % overlap.max_ms)
    except Exception:
        if a.keep_on_failure:
            for p in c.procs.values():
                p.kill()
                p.wait()
            # The control sockets cannot be copied (copytree fails on them): logs and CIBs only.
            copy_without_special_files(c.dir, a.keep_on_failure)
            print("kept the cluster folder in " + a.keep_on_failure, file=sys.stderr)
        raise
    finally:
        c.stop()


if __name__ == "__main__":
    main()
