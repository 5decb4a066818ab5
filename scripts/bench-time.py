#!/usr/bin/env python3
"""Best-of-N timing of one command, for benchmarks on a shared machine.

  bench-time.py RUNS STDOUT_FILE COMMAND [ARG...]

Runs COMMAND RUNS times (stdout to STDOUT_FILE, stderr discarded) and prints one line
"wall_s cpu_s peak_rss_kb": the smallest wall time, the smallest CPU time (user + system of the child, from
wait4) and the largest peak RSS. The minimum is the figure least disturbed by other processes; CPU time is less
sensitive to load than wall time. Exits non-zero if any run fails.
"""
import os
import sys
import time


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    if runs < 1:
        print("RUNS must be at least 1", file=sys.stderr)
        return 64
    wall, cpu, rss = [], [], 0
    for _ in range(runs):
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            try:
                os.execv(cmd[0], cmd)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        wall.append(time.monotonic() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"{cmd[0]} failed with status {os.waitstatus_to_exitcode(status)}", file=sys.stderr)
            return 1
        cpu.append(usage.ru_utime + usage.ru_stime)
        rss = max(rss, usage.ru_maxrss)
    print(f"{min(wall):.3f} {min(cpu):.3f} {rss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
