"""A clusterd cluster on one machine for the chaos runs (3 nodes unless asked otherwise): each node in its own
network namespace (a veth whose other end is on a bridge in a hub namespace), its own cgroup (clusterd and every
process its agents start), its own state folder (CIB, private agent dirs, control socket, log) and, when asked, its
own watchdog stand-in.

Every process is started by pid and killed by pid; `destroy()` removes namespaces, cgroups and files and is safe
to call twice (the runner calls it from `finally` and from atexit).
"""
import os
import secrets
import shutil
import signal
import stat
import subprocess
import time

IP = "/usr/sbin/ip"
SUBNET = "10.213.10."
# With an arbiter: a second network (bridge br1) joins every node's eth1 and the arbiter's eth0, so the cluster link
# (br0) and the arbiter link can be cut apart, as on real sites where the arbiter sits elsewhere.
ARBITER_SUBNET = "10.213.11."
ARBITER_HOST = ARBITER_SUBNET + "100"
ARBITER_PORT = 5403
# Where a node's cgroup can live: cgroup v1's pids hierarchy, else the cgroup2 hierarchy (hybrid or unified).
CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup")
PCS_TIMEOUT_S = 60


class HarnessError(Exception):
    pass


def run(args, check=True, timeout=30):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise HarnessError("`%s` exited with %d: %s" % (" ".join(args), r.returncode, (r.stderr or r.stdout).strip()))
    return r


def cgroup_root():
    for root in CGROUP_ROOTS:
        if os.path.isfile(root + "/cgroup.procs") and os.access(root, os.W_OK):
            return root
    raise HarnessError("no writable cgroup hierarchy among " + ", ".join(CGROUP_ROOTS))


def unavailable_reason(bin_dir, watchdog):
    if os.geteuid() != 0:
        return "not root: network namespaces and cgroups need root"
    need = [IP, bin_dir + "/clusterd", bin_dir + "/pcs", bin_dir + "/cibadmin",
            "/usr/lib/ocf/resource.d/heartbeat/Dummy"]
    if watchdog:
        need.append(bin_dir + "/vigil-watchdog")
    for f in need:
        if not os.access(f, os.X_OK):
            return f + " is missing"
    try:
        cgroup_root()
    except HarnessError as e:
        return str(e)
    return None


class Node:
    def __init__(self, cluster, index):
        self.index = index
        self.name = "node%d" % index
        self.ns = cluster.tag + "n%d" % index
        self.veth = "p%d" % index  # the hub side of the node's link
        self.dir = cluster.dir + "/" + self.name
        self.sock = self.dir + "/clusterd.sock"
        self.log = self.dir + "/clusterd.log"
        self.fifo = self.dir + "/watchdog"
        self.cgroup = cluster.cgroup_base + "/" + self.name
        self.rsctmp = self.dir + "/agents/rsctmp"
        self.run_dir = self.dir + "/agents/run"
        self.proc = None
        self.watchdog = None
        self.starts = 0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def state_file(self, resource):
        return self.rsctmp + "/Dummy-%s.state" % resource


class Cluster:
    def __init__(self, bin_dir, work_root, token_ms=400, watchdog_timeout_s=None, lease_ms=None, node_count=3,
                 quorum_options=(), arbiter=False):
        """watchdog_timeout_s=None: no watchdog (clusterd runs without a device). quorum_options: extra
        `key: value` pairs of corosync.conf's quorum section (two_node: 1 for a two-node cluster). arbiter: a
        vigil-arbiter in a namespace of its own on a second network, configured as the quorum device."""
        self.arbiter = arbiter
        self.arbiter_ns = None
        self.arbiter_proc = None
        if not 2 <= node_count <= 8:
            raise ValueError("node_count must be 2..8")
        self.quorum_options = list(quorum_options)
        self.bin = os.path.abspath(bin_dir)
        self.token_ms = token_ms
        self.lease_ms = lease_ms
        self.watchdog_timeout_s = watchdog_timeout_s
        self.tag = "vch%d" % (os.getpid() % 100000)
        os.makedirs(work_root, exist_ok=True)
        self.dir = os.path.join(os.path.abspath(work_root), "cluster-%d-%d" % (os.getpid(), int(time.time() * 1000)))
        self.cgroup_base = cgroup_root() + "/vigil-chaos-%d-%d" % (os.getpid(), int(time.time() * 1000) % 10 ** 6)
        self.hub = self.tag + "h"
        self.nodes = [Node(self, i) for i in range(1, node_count + 1)]
        self._namespaces = []
        self._cgroups = []
        self._extra = []  # other processes we started (pcs cluster stop clients), killed by pid at the end
        self._destroyed = False
        try:
            self._build()
        except BaseException:
            self.destroy()
            raise

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    # --- set-up ---------------------------------------------------------------------------------------------------

    def _netns_add(self, name):
        run([IP, "netns", "add", name])
        self._namespaces.append(name)

    def _build(self):
        os.makedirs(self.dir, mode=0o700)
        os.mkdir(self.cgroup_base)
        self._cgroups.append(self.cgroup_base)
        self._netns_add(self.hub)
        run([IP, "-n", self.hub, "link", "add", "br0", "type", "bridge"])
        run([IP, "-n", self.hub, "link", "set", "br0", "up"])
        conf = "totem {\n    version: 2\n    cluster_name: chaos\n    token: %d\n}\nnodelist {\n" % self.token_ms
        for n in self.nodes:
            conf += "    node {\n        ring0_addr: %s%d\n        name: %s\n        nodeid: %d\n    }\n" % (
                SUBNET, n.index, n.name, n.index)
        conf += "}\nquorum {\n    provider: corosync_votequorum\n"
        conf += "".join("    %s: %s\n" % kv for kv in self.quorum_options)
        if self.arbiter:
            conf += ("    device {\n        model: net\n        votes: 1\n        net {\n            host: %s\n"
                     "            algorithm: ffsplit\n            tie_breaker: lowest\n        }\n    }\n" % ARBITER_HOST)
        conf += "}\n"
        with open(self.dir + "/corosync.conf", "w") as f:
            f.write(conf)
        with open(self.dir + "/authkey", "wb") as f:
            f.write(secrets.token_bytes(256))
        os.chmod(self.dir + "/authkey", 0o600)
        for n in self.nodes:
            self._netns_add(n.ns)
            run([IP, "-n", self.hub, "link", "add", n.veth, "type", "veth", "peer", "name", "eth0", "netns", n.ns])
            run([IP, "-n", n.ns, "addr", "add", "%s%d/24" % (SUBNET, n.index), "dev", "eth0"])
            run([IP, "-n", n.ns, "link", "set", "eth0", "up"])
            run([IP, "-n", n.ns, "link", "set", "lo", "up"])
            run([IP, "-n", self.hub, "link", "set", n.veth, "master", "br0", "up"])
            os.makedirs(n.dir)
            os.mkdir(n.cgroup)
            self._cgroups.append(n.cgroup)
        if self.arbiter:
            self._build_arbiter_network()

    def _build_arbiter_network(self):
        run([IP, "-n", self.hub, "link", "add", "br1", "type", "bridge"])
        run([IP, "-n", self.hub, "link", "set", "br1", "up"])
        self.arbiter_ns = self.tag + "a"
        self._netns_add(self.arbiter_ns)
        ends = [(n.ns, "a%d" % n.index, "%s%d" % (ARBITER_SUBNET, n.index), "eth1") for n in self.nodes]
        ends.append((self.arbiter_ns, "a0", ARBITER_HOST, "eth0"))
        for ns, hub_end, addr, dev in ends:
            run([IP, "-n", self.hub, "link", "add", hub_end, "type", "veth", "peer", "name", dev, "netns", ns])
            run([IP, "-n", ns, "addr", "add", addr + "/24", "dev", dev])
            run([IP, "-n", ns, "link", "set", dev, "up"])
            run([IP, "-n", ns, "link", "set", "lo", "up"])
            run([IP, "-n", self.hub, "link", "set", hub_end, "master", "br1", "up"])
        keys = self.dir + "/arbiter-keys"
        os.mkdir(keys, 0o700)
        shutil.copyfile(self.dir + "/authkey", keys + "/chaos.authkey")
        self.start_arbiter()

    def start_arbiter(self):
        """vigil-arbiter in its namespace; waits until it listens."""
        if self.arbiter_proc is not None and self.arbiter_proc.poll() is None:
            raise HarnessError("the arbiter already runs")
        log = open(self.dir + "/arbiter.log", "ab")
        self.arbiter_proc = subprocess.Popen(
            [IP, "netns", "exec", self.arbiter_ns, self.bin + "/vigil-arbiter", "--listen", ARBITER_HOST, "--port",
             str(ARBITER_PORT), "--key-dir", self.dir + "/arbiter-keys"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.dir + "/arbiter.log", errors="replace") as f:
                if "listening on" in f.read():
                    return
            if self.arbiter_proc.poll() is not None:
                break
            time.sleep(0.02)
        raise HarnessError("vigil-arbiter did not start; see " + self.dir + "/arbiter.log")

    def kill_arbiter(self):
        if self.arbiter_proc is not None:
            if self.arbiter_proc.poll() is None:
                self.arbiter_proc.kill()
            self.arbiter_proc.wait()
            self.arbiter_proc = None

    def set_arbiter_link(self, n, up):
        """Cuts (or restores) n's link to the arbiter only; the cluster link stays."""
        run([IP, "-n", self.hub, "link", "set", "a%d" % n.index, "up" if up else "down"])

    # --- processes ------------------------------------------------------------------------------------------------

    def _start_watchdog(self, n):
        """The node's watchdog stand-in: outside the node's cgroup (it must outlive what it kills)."""
        if n.watchdog is not None and n.watchdog.poll() is None:
            return
        # The folders it empties on expiry must exist before it starts (clusterd would make them later).
        os.makedirs(n.rsctmp, exist_ok=True)
        os.makedirs(n.run_dir, exist_ok=True)
        # A FIFO left by a stand-in that was SIGKILLed: gone first, so that waiting for the new one means something.
        try:
            os.unlink(n.fifo)
        except FileNotFoundError:
            pass
        args = [self.bin + "/vigil-watchdog", "--device", n.fifo, "--timeout-s", str(self.watchdog_timeout_s),
                "--cgroup", n.cgroup, "--clear", n.rsctmp, "--clear", n.run_dir]
        log = open(n.dir + "/watchdog.log", "ab")
        n.watchdog = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if stat.S_ISFIFO(os.stat(n.fifo).st_mode):
                    return
            except FileNotFoundError:
                pass
            if n.watchdog.poll() is not None:
                break
            time.sleep(0.01)
        try:
            with open(n.dir + "/watchdog.log", errors="replace") as f:
                said = f.read()[-400:].strip()
        except FileNotFoundError:
            said = ""
        raise HarnessError("vigil-watchdog of %s did not create %s: %s" % (n.name, n.fifo, said or "no output"))

    def start(self, n):
        """Starts n's clusterd in n's namespace and cgroup (and its watchdog stand-in first, when armed)."""
        if n.alive():
            raise HarnessError(n.name + " already runs")
        if self.watchdog_timeout_s is not None:
            self._start_watchdog(n)
        args = [self.bin + "/clusterd", "--corosync-conf", self.dir + "/corosync.conf", "--authkey",
                self.dir + "/authkey", "--state-dir", n.dir, "--node", n.name, "--socket", n.sock,
                "--private-agent-dirs"]
        if self.lease_ms is not None:
            args += ["--lease-ms", str(self.lease_ms)]
        if self.watchdog_timeout_s is not None:
            args += ["--watchdog-device", n.fifo, "--watchdog-timeout-s", str(self.watchdog_timeout_s)]
        # The shell joins the cgroup, then execs ip, which execs clusterd: the pid we hold is clusterd's, and
        # every process its agents start inherits the cgroup.
        script = 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
        log = open(n.log, "ab")
        log.write(b"=== chaos: start %d at %.3f\n" % (n.starts + 1, time.time()))
        log.flush()
        n.proc = subprocess.Popen(["/bin/sh", "-c", script, "sh", n.cgroup, IP, "netns", "exec", n.ns] + args,
                                  stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        n.starts += 1

    def kill9_clusterd(self, n):
        """SIGKILL of clusterd alone: the processes its agents started keep running, their state files stay."""
        if n.proc is None:
            return
        try:
            n.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        n.proc.wait()

    def cgroup_pids(self, n):
        try:
            with open(n.cgroup + "/cgroup.procs") as f:
                return [int(x) for x in f.read().split()]
        except FileNotFoundError:
            return []

    def kill_cgroup(self, n):
        """SIGKILL of every process in n's cgroup, repeated until it is empty (a fork may race the first pass)."""
        if n.proc is not None and n.proc.poll() is None:
            n.proc.send_signal(signal.SIGKILL)
        for _ in range(200):
            pids = self.cgroup_pids(n)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)
        if n.proc is not None:
            n.proc.wait()

    def clear_agent_dirs(self, n):
        for d in (n.rsctmp, n.run_dir):
            if os.path.isdir(d):
                for e in os.listdir(d):
                    p = d + "/" + e
                    if os.path.isdir(p) and not os.path.islink(p):
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        try:
                            os.unlink(p)
                        except FileNotFoundError:
                            pass

    def watchdog_expiries(self, n):
        """How many times n's stand-in has expired so far (it prints one line per expiry)."""
        try:
            with open(n.dir + "/watchdog.log", errors="replace") as f:
                return f.read().count("watchdog expired")
        except FileNotFoundError:
            return 0

    def stop_watchdog(self, n):
        if n.watchdog is not None:
            if n.watchdog.poll() is None:
                n.watchdog.kill()
            n.watchdog.wait()
            n.watchdog = None

    def crash_node(self, n):
        """The whole machine goes: clusterd, every process of its cgroup, its watchdog, its volatile state."""
        self.kill_cgroup(n)
        self.stop_watchdog(n)
        self.clear_agent_dirs(n)

    def signal(self, n, sig):
        if n.alive():
            n.proc.send_signal(sig)

    def set_link(self, n, up):
        run([IP, "-n", self.hub, "link", "set", n.veth, "up" if up else "down"])

    def set_one_way_cut(self, n, to, cut):
        """n's packets to `to` are lost, silently (a permanent neighbour entry with a MAC no interface has: the bridge
        floods the frames and every node drops them); `to`'s packets still reach n. No iptables needed."""
        addr = "%s%d" % (SUBNET, to.index)
        if cut:
            run([IP, "-n", n.ns, "neigh", "replace", addr, "lladdr", "02:00:00:00:00:fe", "dev", "eth0", "nud", "permanent"])
        else:
            run([IP, "-n", n.ns, "neigh", "del", addr, "dev", "eth0"], check=False)

    def spawn_extra(self, args, env=None, log=None):
        out = open(log, "ab") if log else subprocess.DEVNULL
        p = subprocess.Popen(args, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
        if log:
            out.close()
        self._extra.append(p)
        return p

    def pcs_env(self, n):
        return dict(os.environ, VIGIL_SOCKET=n.sock)

    def pcs(self, n, *args, timeout=PCS_TIMEOUT_S):
        """Our pcs against n's control socket; returns (rc, stdout, stderr); rc 124 on a timeout."""
        return self.tool("pcs", n, *args, timeout=timeout)

    def tool(self, name, n, *args, timeout=PCS_TIMEOUT_S):
        try:
            r = subprocess.run([self.bin + "/" + name, *args], env=self.pcs_env(n), capture_output=True, text=True,
                               timeout=timeout, stdin=subprocess.DEVNULL)
            return r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            return 124, "", "timed out after %d s" % timeout

    def pcs_ok(self, n, *args):
        rc, out, err = self.pcs(n, *args)
        if rc != 0:
            raise HarnessError("pcs %s via %s exited with %d: %s" % (" ".join(args), n.name, rc, err.strip()))
        return out

    # --- tear-down ------------------------------------------------------------------------------------------------

    def destroy(self, keep_dir=False):
        if self._destroyed:
            return
        self._destroyed = True
        for p in self._extra:
            if p.poll() is None:
                p.kill()
            p.wait()
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is None:
                try:
                    os.kill(n.proc.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            try:
                self.kill_cgroup(n)
            except OSError:
                pass
            self.stop_watchdog(n)
        self.kill_arbiter()
        for ns in reversed(self._namespaces):
            run([IP, "netns", "del", ns], check=False)
        for cg in reversed(self._cgroups):
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def copy_without_special_files(src, dst):
    """Copies a cluster folder (logs, CIBs, agent state) for a post-mortem, leaving out unix sockets and FIFOs,
    which cannot be copied (shutil.copytree fails on them) and mean nothing once the processes are gone."""
    def special(folder, names):
        out = []
        for name in names:
            try:
                mode = os.lstat(os.path.join(folder, name)).st_mode
            except OSError:
                out.append(name)
                continue
            if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                out.append(name)
        return out

    shutil.copytree(src, dst, ignore=special, symlinks=True, dirs_exist_ok=True)
