"""What the sandbox costs: bulle's sandboxed bubbles against the same bubbles without a sandbox.

Run as root from the source tree: ``.venv/bin/python -m bench.sandbox``.
It starts two real hubs on the same policy, one sandboxed and one with
``--insecure-no-sandbox`` (the plain local process JupyterHub would run),
and for each measures, in one run:

- spawn to ready: from the spawn request to the server answering, ``ROUNDS`` times;
- a CPU-bound loop in a kernel (single-threaded, so the affinity to one core
  should not show);
- the hub's CPU time per second of wall time while one idle bubble runs,
  with the memory guard looking every 0.2 s, and with it looking once an hour.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.hub.conftest import PASSWORDS, make_state
from tests.hub.hubprocess import HubClient, HubProcess
from tests.sandbox.conftest import start_bubble, write_sandbox_policy
from tests.sandbox.kernel import KernelSession

ROUNDS = 5
IDLE_SECONDS = 20
LOOP = "import time, json; t = time.perf_counter(); sum(range(30_000_000)); print(json.dumps(time.perf_counter() - t))"


def hub_for(base: Path, name: str, options: list[str]) -> HubProcess:
    policy_dir, state_dir = make_state(base, name, write_sandbox_policy)
    return HubProcess(policy_dir, state_dir, hub_options=options).start()


def spawn_times(client: HubClient) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        start_bubble(client, "alice", "psy-cohort-notebook")
        times.append(time.perf_counter() - started)
        client.stop_server("alice", "psy-cohort-notebook")
    return times


def hub_cpu_per_second(hub: HubProcess) -> float:
    assert hub.proc is not None
    process = psutil.Process(hub.proc.pid)
    before = sum(process.cpu_times()[:2])
    time.sleep(IDLE_SECONDS)
    return (sum(process.cpu_times()[:2]) - before) / IDLE_SECONDS


def measure(base: Path, name: str, options: list[str]) -> dict[str, float]:
    hub = hub_for(base, name, options)
    try:
        client = hub.client()
        client.login("alice", PASSWORDS["alice"])
        spawns = spawn_times(client)
        start_bubble(client, "alice", "psy-cohort-notebook")
        kernel = KernelSession(client, "alice", "psy-cohort-notebook")
        loops = [kernel.probe(LOOP) for _ in range(3)]
        kernel.close()
        cpu = hub_cpu_per_second(hub)
    finally:
        hub.stop()
    return {"spawn_s": statistics.median(spawns), "loop_s": statistics.median(loops), "hub_cpu": cpu}


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="bulle-bench-"))
    base.chmod(0o711)
    rare_guard = base / "rare-guard.py"
    rare_guard.write_text("c.LocalBubbleSpawner.memory_guard_interval = 3600\n", encoding="utf-8")
    try:
        results = {
            "sandboxed": measure(base, "sandboxed", []),
            "no sandbox": measure(base, "plain", ["--insecure-no-sandbox"]),
            "sandboxed, guard hourly": measure(base, "rare-guard", ["--config", str(rare_guard)]),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{'':26} {'spawn to ready (s)':>19} {'kernel loop (s)':>16} {'hub CPU while idle':>19}")
    for name, row in results.items():
        print(f"{name:26} {row['spawn_s']:19.2f} {row['loop_s']:16.3f} {row['hub_cpu']:18.1%}")
    plain, boxed = results["no sandbox"], results["sandboxed"]
    print(
        f"ratios sandboxed / no sandbox: spawn {boxed['spawn_s'] / plain['spawn_s']:.2f}, "
        f"kernel loop {boxed['loop_s'] / plain['loop_s']:.2f}",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
