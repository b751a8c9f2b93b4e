"""Runs a sweep's grid points as Ray tasks (started by `rl-train sweep FILE --ray ADDRESS`).

Kept thin on purpose: planning, run identity, tables and reports stay in Swift. This driver
reads the plan rl-train wrote (JSON: address, binary, runs_dir, progress file, points with
their run directory name, resolved config, tokens and an optional local run directory to
resume from), ships the rl-train binary to the workers with the job (Ray's runtime_env
working_dir: workers need no checkout and no Swift toolchain), runs each point as a task that
holds `tokens` logical CPUs, and writes each run directory that comes back (a gzipped tar through
Ray's object store) into the local runs directory atomically, recording the worker's address in
its result.json. A worker node that dies is retried by Ray on another node. SIGINT or SIGTERM:
every running task forwards one SIGINT to its rl-train (which writes a final checkpoint) and
sends back what it has; tasks not started yet start nothing.

Progress goes to the plan's progress file as JSON lines: {"event", "name", "node", "status", "detail"}.
"""
import ctypes
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy


def pack(directory):
    """A directory as gzipped tar bytes, its entries named relative to its parent."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=3) as archive:
        archive.add(directory, arcname=os.path.basename(directory))
    return buffer.getvalue()


@ray.remote(num_cpus=0)
class StopFlag:
    """Set by the driver on SIGINT/SIGTERM; tasks poll it (Ray's own cancel cannot reach a task
    blocked on its child, and a cancelled task's return value is lost)."""

    def __init__(self):
        self.stopped = False

    def set(self):
        self.stopped = True

    def get(self):
        return self.stopped


@ray.remote(max_retries=3)
def run_point(name, config_text, archive, flag):
    """One grid point on a worker: rl-train from the job's working directory, its run directory
    sent back packed. A child never outlives the task (it gets SIGKILL when the worker dies);
    when the sweep is stopped the child gets one SIGINT and writes its final checkpoint, which
    comes back like any result."""
    def stopped():
        try:
            return ray.get(flag.get.remote(), timeout=10)
        except Exception:  # the flag unreachable for a moment: keep going
            return False

    if stopped():
        return {"name": name, "status": None, "node": ray.util.get_node_ip_address(), "archive": b"", "log": "not started: the sweep was stopped"}
    binary = os.path.abspath("rl-train")
    os.chmod(binary, 0o755)
    child = None
    work = tempfile.mkdtemp(prefix="swiftrl-")
    runs = os.path.join(work, "runs")
    os.makedirs(runs)
    try:
        if archive:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as packed:
                packed.extractall(runs, filter="data")
        config = os.path.join(work, "config.yaml")
        with open(config, "w") as f:
            f.write(config_text)
        command = [binary, "train", config, "--set", f"train.runs_dir={runs}"]
        log = open(os.path.join(work, "log.txt"), "w")
        # SIGKILL when the worker dies (PR_SET_PDEATHSIG): through util-linux's setpriv where there
        # is one, since a preexec_fn in a threaded worker process can deadlock the fork.
        if shutil.which("setpriv"):
            child = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--"] + command, stdout=log, stderr=subprocess.STDOUT)
        else:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                     preexec_fn=lambda: libc.prctl(1, signal.SIGKILL))
        interrupted = False
        while (status := child.poll()) is None:
            time.sleep(0.25)
            if not interrupted and stopped():
                child.send_signal(signal.SIGINT)  # the run writes its final checkpoint and exits
                interrupted = True
        log.close()
        directory = os.path.join(runs, name)
        with open(os.path.join(work, "log.txt")) as f:
            tail = f.read()[-2000:]
        return {"name": name, "status": status, "node": ray.util.get_node_ip_address(),
                "archive": pack(directory) if os.path.isdir(directory) else b"", "log": tail}
    finally:
        if child is not None and child.poll() is None:  # the task itself failed: the run ends with it
            child.kill()
            child.wait()
        shutil.rmtree(work, ignore_errors=True)


def install(runs_dir, name, archive, node):
    """Writes a returned run directory into the local runs directory atomically."""
    incoming = tempfile.mkdtemp(prefix=f".incoming-{name}-", dir=runs_dir)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as packed:
        packed.extractall(incoming, filter="data")
    result = os.path.join(incoming, name, "result.json")
    if os.path.exists(result):
        with open(result) as f:
            data = json.load(f)
        data["worker"] = node
        with open(result, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
    final = os.path.join(runs_dir, name)
    old = None
    if os.path.exists(final):
        old = final + f".replaced-{os.getpid()}"
        os.rename(final, old)
    os.rename(os.path.join(incoming, name), final)
    shutil.rmtree(incoming, ignore_errors=True)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def main():
    # First: a signal during start-up or submission must not kill the driver (and with it the job's tasks).
    interrupted = False

    def stop(signum, frame):
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    plan = json.load(open(sys.argv[1]))
    progress = open(plan["progress"], "a", buffering=1)

    def say(event, name, **fields):
        progress.write(json.dumps({"event": event, "name": name, "time": time.time(), **fields}) + "\n")

    stage = tempfile.mkdtemp(prefix="swiftrl-job-")
    shutil.copy2(plan["binary"], os.path.join(stage, "rl-train"))
    ray.init(address=plan["address"], runtime_env={"working_dir": stage}, logging_level="WARNING",
             log_to_driver=False)
    # On the driver's own node, so a worker node that dies cannot take the flag with it.
    here = ray.get_runtime_context().get_node_id()
    flag = StopFlag.options(scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False)).remote()
    pending = {}
    for point in plan["points"]:
        archive = pack(point["resume_from"]) if point.get("resume_from") else None
        ref = run_point.options(num_cpus=point["tokens"]).remote(point["name"], point["config"], archive, flag)
        pending[ref] = point["name"]
        say("submitted", point["name"])
    flagged = False
    while pending:
        if interrupted and not flagged:
            flag.set.remote()
            flagged = True
        done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
        for ref in done:
            name = pending.pop(ref)
            try:
                answer = ray.get(ref)
            except Exception as error:  # a task that failed for good, or was cancelled
                say("failed", name, detail=f"{type(error).__name__}: {error}"[:2000])
                continue
            if answer["archive"]:
                install(plan["runs_dir"], name, answer["archive"], answer["node"])
            # 130: the run stopped on the SIGINT it was sent and wrote its final checkpoint; any other
            # non-zero status is a failure, reported with its log even if a checkpoint came back.
            status = answer["status"]
            event = "skipped" if status is None else "finished" if status == 0 else "stopped" if status in (130, -2) else "failed"
            say(event, name, node=answer["node"], status=answer["status"], detail=answer["log"][-600:])
    shutil.rmtree(stage, ignore_errors=True)
    sys.exit(130 if interrupted else 0)


if __name__ == "__main__":
    main()
