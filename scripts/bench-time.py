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
        # posix_spawn, not fork: a forked Python child would add its own start-up work to the measured CPU time.
        actions = [(os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
                   (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
        start = time.monotonic()
        pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=actions)
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
