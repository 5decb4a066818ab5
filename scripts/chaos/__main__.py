"""make chaos: faults on real clusterd processes (3 nodes, each in its own network namespace and cgroup), judged by
an independent sampler of the Dummy agents' own state files.

  python3 scripts/chaos --bin .build/release [--faults a,b,...] [--trials N] [--watchdog standin|none]
                        [--writes N] [--log-dir DIR] [--keep-on-failure DIR]

Prints a header line (commit, watchdog, load) and, per fault, one line
  fault=NAME double_run_ms_max=... double_run_trials=... failover_p50_ms=... failover_p99_ms=... trials=...
and for the writes  fault=writes acked_writes=... lost_writes=... divergent_cibs=...
Per-trial details (owner, DC, failover, overlaps, the sampler's timeline) and the nodes' logs go to --log-dir.
Each fault runs on a fresh cluster. Needs root (namespaces, cgroups).
"""
import argparse
import atexit
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster as clusterlib  # noqa: E402
import faults  # noqa: E402
import ops  # noqa: E402
import writes  # noqa: E402
from sampler import Sampler  # noqa: E402

ALL = faults.FAULTS + ["writes"]


def parse():
    ap = argparse.ArgumentParser(prog="chaos", description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=".build/release")
    ap.add_argument("--faults", default=",".join(ALL), help="comma-separated subset of " + ",".join(ALL))
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--watchdog", choices=["standin", "none"], default="standin")
    ap.add_argument("--watchdog-timeout-s", type=int, default=1, help="the stand-in's timeout (whole seconds)")
    ap.add_argument("--writes", type=int, default=200, help="pcs resource create commands of the writes fault")
    ap.add_argument("--writes-started", action="store_true",
                    help="create the writes' resources enabled (default: --disabled, so 200 agents do not run)")
    ap.add_argument("--property", action="append", default=[], help="extra cluster property NAME=VALUE (repeat)")
    ap.add_argument("--token-ms", type=int, default=400)
    ap.add_argument("--lease-ms", type=int, default=None)
    ap.add_argument("--work-dir", default="/tmp", help="where the clusters' folders are made (removed at the end)")
    ap.add_argument("--log-dir", default=None, help="per-trial details (default /tmp/vigil-chaos-logs-TIME)")
    ap.add_argument("--keep-on-failure", default=None,
                    help="on a double run, an unsettled trial or an error: copy the cluster's folder (logs, CIBs; "
                         "no sockets or FIFOs) to DIR/FAULT")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    chosen = [f for f in a.faults.split(",") if f]
    unknown = [f for f in chosen if f not in ALL]
    if unknown:
        ap.error("unknown fault %s; known: %s" % (", ".join(unknown), ", ".join(ALL)))
    if a.trials < 1 or a.trials > 10000:
        ap.error("--trials must be 1..10000")
    if a.writes < 1 or a.writes > 100000:
        ap.error("--writes must be 1..100000")
    if a.watchdog_timeout_s < 1 or a.watchdog_timeout_s > 60:
        ap.error("--watchdog-timeout-s must be 1..60 (a watchdog device counts whole seconds)")
    a.faults = chosen
    return a


def commit():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        r = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return r.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def remove_stale():
    """Namespaces and cgroups left by an earlier run whose process is gone (kill -9 of the runner itself)."""
    r = clusterlib.run([clusterlib.IP, "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith("vch") and name[3:].split("n")[0].split("h")[0].isdigit():
            pid = int(name[3:].split("n")[0].split("h")[0])
            if not os.path.exists("/proc/%d" % pid):
                clusterlib.run([clusterlib.IP, "netns", "del", name], check=False)
    root = clusterlib.cgroup_root()
    for entry in os.listdir(root):
        if entry.startswith("vigil-chaos-"):
            pid = entry.split("-")[2]
            if pid.isdigit() and not os.path.exists("/proc/" + pid):
                base = root + "/" + entry
                for sub in os.listdir(base):
                    if os.path.isdir(base + "/" + sub):
                        for p in open(base + "/" + sub + "/cgroup.procs").read().split():
                            try:
                                os.kill(int(p), signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                        time.sleep(0.05)
                        try:
                            os.rmdir(base + "/" + sub)
                        except OSError:
                            pass
                try:
                    os.rmdir(base)
                except OSError:
                    pass


class Run:
    def __init__(self, a):
        self.a = a
        self.log_dir = a.log_dir or "/tmp/vigil-chaos-logs-" + time.strftime("%Y%m%dT%H%M%S")
        os.makedirs(self.log_dir, exist_ok=True)
        self.cluster = None
        self.sampler = None
        self._log = open(self.log_dir + "/run.log", "a")
        self.sample_gap_ms_max = 0.0

    def log(self, text):
        line = "%s %s" % (time.strftime("%H:%M:%S"), text)
        self._log.write(line + "\n")
        self._log.flush()
        print(line, file=sys.stderr, flush=True)

    def new_cluster(self, fault=""):
        self.sample_gap_ms_max = 0.0
        wd = self.a.watchdog_timeout_s if self.a.watchdog == "standin" else None
        pair = fault in faults.TWO_NODE_FAULTS  # two nodes and a vigil-arbiter (quorum device, ffsplit)
        self.cluster = clusterlib.Cluster(self.a.bin, self.a.work_dir, token_ms=self.a.token_ms,
                                          watchdog_timeout_s=wd, lease_ms=self.a.lease_ms,
                                          node_count=2 if pair else 3, arbiter=pair)
        self.sampler = Sampler(self.cluster.nodes, ops.RESOURCES)
        self.sampler.start()
        ops.bring_up(self.cluster, self.sampler, self.log, self.a.property)

    def close_cluster(self, fault, failed):
        c, self.cluster = self.cluster, None
        if c is None:
            return
        if self.sampler is not None:
            self.sampler.stop()
            self.sample_gap_ms_max = self.sampler.period_max_s * 1000
            self.log("  sampler: %d samples, longest gap %.1f ms" % (self.sampler.samples, self.sample_gap_ms_max))
            self.sampler = None
        for n in c.nodes:  # stop the processes before copying, so that logs are complete
            if n.proc is not None and n.proc.poll() is None:
                os.kill(n.proc.pid, signal.SIGCONT)
        try:
            for n in c.nodes:
                c.kill_cgroup(n)
                c.stop_watchdog(n)
            dst = self.log_dir + "/" + fault
            os.makedirs(dst, exist_ok=True)
            for n in c.nodes:
                for f in ("clusterd.log", "watchdog.log", "pcs.log"):
                    if os.path.exists(n.dir + "/" + f):
                        clusterlib.shutil.copyfile(n.dir + "/" + f, "%s/%s-%s" % (dst, n.name, f))
            c.kill_arbiter()
            if os.path.exists(c.dir + "/arbiter.log"):
                clusterlib.shutil.copyfile(c.dir + "/arbiter.log", dst + "/arbiter.log")
            if failed and self.a.keep_on_failure:
                keep = os.path.join(self.a.keep_on_failure, fault)
                clusterlib.copy_without_special_files(c.dir, keep)
                self.log("  kept the cluster folder in " + keep)
        finally:
            c.destroy()

    def destroy(self):
        if self.cluster is not None:
            self.cluster.destroy()

    def fault(self, fault):
        trials = []
        failed = False
        out = open("%s/%s.trials.jsonl" % (self.log_dir, fault), "w")
        try:
            self.new_cluster(fault)
            placement = ops.Placement()
            for i in range(1, self.a.trials + 1):
                t = faults.run_trial(self.cluster, self.sampler, fault, i, placement, self.log)
                trials.append(t)
                out.write(json.dumps(t.record()) + "\n")
                out.flush()
                with open("%s/%s.timeline.txt" % (self.log_dir, fault), "a") as tl:
                    tl.write("trial %d owner=%s dc=%s failover_ms=%s double_run_ms=%.1f %s\n" % (
                        i, t.owner, t.dc, t.failover_ms and round(t.failover_ms), t.double_run_ms, "; ".join(t.notes)))
                    tl.write("\n".join(faults.timeline(t, self.sampler)) + "\n")
                self.log("  -> failover %s ms, double run %.0f ms%s" % (
                    "-" if t.failover_ms is None else "%.0f" % t.failover_ms, t.double_run_ms,
                    (" (" + "; ".join(t.notes) + ")") if t.notes else ""))
                if t.double_run_ms > 0 or not t.settled:
                    failed = True
                if not t.settled:
                    self.log("  %s: stopping this fault's trials (the cluster did not settle)" % fault)
                    break
        except Exception as e:
            failed = True
            self.log("  %s: error: %s" % (fault, e))
            trials.append(None)
        finally:
            out.close()
            self.close_cluster(fault, failed)
        done = [t for t in trials if t is not None]
        line = faults.summary_line(fault, done, self.sample_gap_ms_max)
        if trials and trials[-1] is None:
            line += " error=1"
        return line

    def writes(self):
        failed = False
        try:
            self.new_cluster()
            result, attempts, kills, views = writes.run_writes(self.cluster, self.sampler, self.a.writes, self.log,
                                                               self.a.seed, self.a.writes_started,
                                                               self.log_dir + "/writes.attempts.jsonl")
            with open(self.log_dir + "/writes.json", "w") as f:
                json.dump({"result": result, "attempts": attempts,
                           "kills": [{"node": n, "dc": dc} for _, n, dc in kills]}, f, indent=1)
            for name, v in views.items():
                for kind, text in v.items():
                    with open("%s/writes-%s-%s-cib.xml" % (self.log_dir, name, kind), "w") as f:
                        f.write(text or "")
            failed = result["lost_writes"] > 0 or result["divergent_cibs"] > 0
            return writes.summary_line(result) + " kills=%d" % len(kills)
        except Exception as e:
            failed = True
            self.log("  writes: error: %s" % e)
            return "fault=writes error=1"
        finally:
            self.close_cluster("writes", failed)


def interrupt(signum, frame):
    raise KeyboardInterrupt()


def main():
    a = parse()
    reason = clusterlib.unavailable_reason(a.bin, a.watchdog == "standin")
    if reason:
        hint = " (build it, or give WATCHDOG=none)" if "vigil-watchdog" in reason else ""
        print("chaos: cannot run: %s%s" % (reason, hint), file=sys.stderr)
        return 2
    remove_stale()
    r = Run(a)
    atexit.register(r.destroy)
    # SIGTERM/SIGHUP end the run like Ctrl-C: the finally blocks tear the clusters down.
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupt)
    load = os.getloadavg()
    header = "chaos commit=%s watchdog=%s trials=%d token_ms=%d loadavg_1m=%.2f loadavg_5m=%.2f cpus=%d date=%s" % (
        commit(), a.watchdog, a.trials, a.token_ms, load[0], load[1], os.cpu_count() or 0,
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    if a.watchdog == "standin":
        header += " watchdog_timeout_s=%d" % a.watchdog_timeout_s
    print(header, flush=True)
    r.log(header + " log_dir=" + r.log_dir)
    lines = []
    try:
        for fault in a.faults:
            r.log("fault %s" % fault)
            line = r.writes() if fault == "writes" else r.fault(fault)
            lines.append(line)
            print(line, flush=True)
            r.log(line)
    except KeyboardInterrupt:
        r.log("interrupted")
        return 130
    finally:
        r.destroy()
    load = os.getloadavg()
    r.log("done loadavg_1m=%.2f (logs in %s)" % (load[0], r.log_dir))
    print("loadavg_1m_end=%.2f log_dir=%s" % (load[0], r.log_dir), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
