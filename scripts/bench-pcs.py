#!/usr/bin/env python3
"""make bench-pcs: median wall time of `pcs -f ... resource create` and `pcs -f ... status`, ours vs the real pcs.

Prints key=value lines. Every run works on a fresh copy of the CIB so each create is a real write.
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.normpath(os.path.join(ROOT, "..", "shared", "reference", "pcs"))
OURS = os.environ.get("PCS_BINARY", os.path.join(ROOT, ".build", "release", "pcs"))
REAL = "/usr/sbin/pcs"
RUNS = int(os.environ.get("RUNS", "11"))  # REAL_RUNS= sets the real pcs's runs (default: RUNS)
COROSYNC = os.path.join(REF, "session", "corosync2.conf")


def big_cib(path, n):
    """A CIB with n Dummy primitives, 2 online nodes, each resource started on one of them."""
    prims, hist = [], {"1": [], "2": []}
    for i in range(n):
        rid = "r%04d" % i
        prims.append(
            '<primitive id="%s" class="ocf" type="Dummy" provider="pacemaker"><operations>'
            '<op name="monitor" interval="10s" timeout="20s" id="%s-monitor-interval-10s"/>'
            '<op name="start" interval="0s" timeout="20s" id="%s-start-interval-0s"/>'
            '<op name="stop" interval="0s" timeout="20s" id="%s-stop-interval-0s"/></operations></primitive>' % (rid, rid, rid, rid))
        node = "1" if i % 2 == 0 else "2"
        hist[node].append(
            '<lrm_resource id="%s" class="ocf" provider="pacemaker" type="Dummy">'
            '<lrm_rsc_op id="%s_last_0" operation_key="%s_start_0" operation="start" transition-key="1:1:0:x" '
            'transition-magic="0:0;1:1:0:x" exit-reason="" call-id="%d" rc-code="0" op-status="0" interval="0" '
            'last-rc-change="1795297486" exec-time="0" queue-time="0"/></lrm_resource>' % (rid, rid, rid, i + 2))
    states = "".join(
        '<node_state id="%s" uname="%s" in_ccm="true" crmd="online" join="member" expected="member">'
        '<lrm id="%s"><lrm_resources>%s</lrm_resources></lrm></node_state>' % (nid, name, nid, "".join(hist[nid]))
        for nid, name in (("1", "server1"), ("2", "server4")))
    with open(path, "w") as f:
        f.write('<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0" '
                'have-quorum="1" dc-uuid="1"><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">'
                '<nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>'
                '</cluster_property_set></crm_config><nodes><node id="1" uname="server1"/><node id="2" uname="server4"/>'
                '</nodes><resources>%s</resources><constraints/></configuration><status>%s</status></cib>\n'
                % ("".join(prims), states))


def median_ms(binary, args, cib, fresh, env=None, runs=None):
    """(median wall ms, median CPU ms of the child) over `runs` runs; None when the command fails.

    CPU time (user + system of the child, from wait4) is printed next to wall time because this machine is
    shared: under load wall time is several times the CPU time a command needs."""
    walls, cpus = [], []
    work = tempfile.mkdtemp(prefix="bench-pcs-")
    target = os.path.join(work, "cib.xml")
    for _ in range(runs or RUNS):
        if cib and (fresh or not os.path.exists(target)):
            shutil.copy(cib, target)
        argv = [binary] + (["-f", target] if cib else []) + args
        start = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((usage.ru_utime + usage.ru_stime) * 1000)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.stderr.write("%s %s failed: %s\n" % (binary, " ".join(args), err.decode()[:300]))
            return None
    shutil.rmtree(work, ignore_errors=True)
    return statistics.median(walls), statistics.median(cpus)


def main():
    if not os.path.exists(OURS):
        sys.exit("bench-pcs: %s missing (make bench-pcs builds it)" % OURS)
    tmp = tempfile.mkdtemp(prefix="bench-pcs-cibs-")
    big = os.path.join(tmp, "cib-1000.xml")
    big_cib(big, 1000)
    session = os.path.join(REF, "steps", "10-stonith-create.xml")
    session_status = os.path.join(REF, "status", "s1-allonline.xml")
    # The metadata cache lives in a private directory: the first create fills it (not counted: the median of
    # RUNS runs), "nocache" turns it off to show what running the agent's meta-data action costs.
    cache_env = dict(os.environ, VIGIL_METADATA_CACHE=os.path.join(tmp, "metadata-cache"))
    nocache_env = dict(os.environ, VIGIL_METADATA_CACHE="off")
    create = ["resource", "create", "bench1", "ocf:pacemaker:Dummy"]
    status = ["status", "--corosync_conf", COROSYNC]
    cases = [
        # name, args, cib, fresh copy per run, env for ours, compare with the real pcs
        ("startup_version", ["--version"], None, False, cache_env, True),
        ("create_session", create, session, True, cache_env, True),
        ("create_session_nocache", create, session, True, nocache_env, False),
        ("create_1000", create, big, True, cache_env, True),
        ("status_session", status, session_status, False, cache_env, True),
        ("status_1000", status, big, False, cache_env, True),
    ]
    have_real = os.path.exists(REAL)
    print("runs=%d" % RUNS)
    real_runs = int(os.environ.get("REAL_RUNS", str(RUNS)))
    for name, args, cib, fresh, env, compare in cases:
        ours = median_ms(OURS, args, cib, fresh, env)
        if ours is None:
            print("%s_ms_median=failed" % name)
            continue
        print("%s_ms_median=%.1f %s_cpu_ms_median=%.1f" % (name, ours[0], name, ours[1]))
        if have_real and compare:
            real = median_ms(REAL, args, cib, fresh, runs=real_runs)
            if real is None:
                print("%s_real_pcs_ms_median=failed" % name)
                continue
            print("%s_real_pcs_ms_median=%.1f %s_real_pcs_cpu_ms_median=%.1f" % (name, real[0], name, real[1]))
            print("%s_speedup=%.1fx %s_cpu_speedup=%.1fx" % (name, real[0] / ours[0], name, real[1] / max(ours[1], 0.1)))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
