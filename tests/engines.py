"""Real scale-out engines for the tests: a one-node Slurm cluster and a Ray head, both on loopback only.

Slurm: Debian's ``slurmctld slurmd slurm-client munge`` (``.ci/run`` installs them). ``start_slurm(folder)``
writes a munge key and runs ``munged`` on its own socket, writes a minimal ``slurm.conf`` (free ports, one node
``localhost`` at 127.0.0.1, no accounting, CPU+memory scheduling with a per-CPU default so jobs share the node,
``kill_invalid_depend`` so a failed stage's dependants end instead of pending forever, no scheduling delay),
starts ``slurmctld -D`` and ``slurmd -D -N localhost`` and polls ``sinfo`` until the node is idle. Clients find
the cluster through ``SLURM_CONF`` (``cluster.env``). ``stop()`` ends the daemons by PID.

Ray: ``start_ray_head(folder)`` runs ``ray start --head --block`` bound to 127.0.0.1 (``RAY_ENABLE_WINDOWS_OR_OSX_
CLUSTER=0``: without it Ray on Linux replaces 127.0.0.1 by the machine's address and listens on every interface),
dashboard off, ``RAY_ENABLE_UV_RUN_RUNTIME_ENV=0`` (workers use this environment, not a fresh ``uv run`` one);
drivers connect with ``ray.init(address="auto")``. ``stop()`` ends the head by PID (never ``ray stop``, which would
end every Ray on the machine).

Usage: ``cluster = start_slurm(tmp); os.environ.update(cluster.env); ...; cluster.stop()``
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

RAY_TEMP = "ray"  # a head's --temp-dir under its folder; drivers' RAY_TMPDIR is the folder (ray/ appended)
SLURM_BINARIES = ("slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scancel", "munged")


def slurm_missing() -> list[str]:
    """The Slurm/munge programs not found on PATH (sbin included)."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    return [b for b in SLURM_BINARIES if shutil.which(b, path=path) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen], timeout: float = 10) -> None:
    """SIGTERM each process group we started, then SIGKILL what is left."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@dataclass
class SlurmCluster:
    """A running one-node cluster: its folder, client environment and daemons."""

    folder: Path
    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    startup_s: float = 0.0

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a Slurm client command against this cluster."""
        return subprocess.run(
            cmd, env={**os.environ, **self.env}, capture_output=True, text=True, check=check, timeout=60
        )

    def jobs(self) -> list[str]:
        """Lines ``JOBID STATE NAME`` of the jobs in the queue."""
        out = self.run("squeue", "-h", "-o", "%i %T %j").stdout
        return [line for line in out.splitlines() if line.strip()]

    def stop(self) -> None:
        """Cancel every job, stop the daemons, then end what the jobs left behind (a batch script and its
        ``srun`` can outlive a cancelled job by a while; without the daemons they would wait forever)."""
        self.run("scancel", "--user", str(os.getuid()), check=False)
        end = time.monotonic() + 15
        while self.jobs() and time.monotonic() < end:
            time.sleep(0.2)
        _stop(self.procs)
        _kill_trees(str(self.folder))


def _kill_trees(marker: str) -> None:
    """SIGKILL, with all their descendants (from /proc), the processes whose command line holds ``marker``
    and the ``slurmstepd`` daemons whose environment does (they outlive slurmd)."""
    parent: dict[int, int] = {}
    roots = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if marker in cmd or (cmd.startswith("slurmstepd") and _environ_has(d, marker)):
            roots.append(int(d.name))
    doomed, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in doomed:
            doomed.add(pid)
            todo += [child for child, ppid in parent.items() if ppid == pid]
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _environ_has(proc: Path, marker: str) -> bool:
    try:
        return marker.encode() in (proc / "environ").read_bytes()
    except OSError:
        return False


SLURM_CONF = """\
ClusterName=testcluster
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU={def_mem}
DependencyParameters=kill_invalid_depend
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
InactiveLimit=0
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
"""


def start_slurm(folder: Path, *, cpus: int = 2, mem_mb: int = 8000, def_mem_mb: int = 500) -> SlurmCluster:
    """Bring up munged + slurmctld + slurmd in ``folder``; return once ``sinfo`` shows the node idle."""
    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool", "munge"):
        (folder / sub).mkdir(exist_ok=True)
    os.chmod(folder / "munge", 0o700)
    key = folder / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    sock = folder / "munge" / "munge.sock"
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    sbin = {b: shutil.which(b, path=path) for b in ("munged", "slurmctld", "slurmd")}
    procs: list[subprocess.Popen] = []

    def spawn(cmd: list[str], log: str) -> subprocess.Popen:
        with open(folder / log, "ab") as fh:
            p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(p)
        return p

    munge = folder / "munge"
    spawn([sbin["munged"], "-F", "--force", f"--socket={sock}", f"--key-file={key}",
           f"--pid-file={munge}/munged.pid", f"--log-file={munge}/munged.log",
           f"--seed-file={munge}/munged.seed"], "munged.out")  # fmt: skip
    conf = folder / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            folder=folder,
            ctld_port=_free_port(),
            slurmd_port=_free_port(),
            munge_socket=sock,
            cpus=cpus,
            mem=mem_mb,
            def_mem=def_mem_mb,
        )
    )
    env = {"SLURM_CONF": str(conf)}
    cluster = SlurmCluster(folder=folder, env=env, procs=procs)
    try:
        _wait(lambda: sock.exists(), 10, "munged socket", folder / "munge" / "munged.log")
        run_env = {**os.environ, **env}
        for name, cmd in (("slurmctld", [sbin["slurmctld"], "-D", "-i"]),
                          ("slurmd", [sbin["slurmd"], "-D", "-N", "localhost"])):  # fmt: skip
            with open(folder / f"{name}.out", "ab") as fh:
                procs.append(
                    subprocess.Popen(
                        cmd, stdout=fh, stderr=subprocess.STDOUT, env=run_env, start_new_session=True
                    )
                )

        def idle() -> bool:
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{p.args[0]} exited ({p.returncode}); see {folder}")
            out = subprocess.run(["sinfo", "-h", "-o", "%t"], env=run_env, capture_output=True, text=True)
            return out.stdout.strip() == "idle"

        _wait(idle, 30, "node idle", folder / "slurmctld.log")
    except BaseException:
        cluster.stop()
        raise
    cluster.startup_s = time.perf_counter() - t0
    return cluster


def _wait(ok, timeout: float, what: str, log: Path) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.is_file() else "(no log)"
    raise RuntimeError(f"timed out waiting for {what}; {log}:\n{tail}")


@dataclass
class RayHead:
    """A running Ray head: its folder, the environment drivers need, the ``ray start --block`` process."""

    folder: Path
    env: dict[str, str]
    proc: subprocess.Popen
    startup_s: float = 0.0

    @property
    def temp_dir(self) -> Path:
        """The head's ``--temp-dir`` (its sessions and logs)."""
        return self.folder / RAY_TEMP

    def stop(self) -> None:
        _stop([self.proc], timeout=30)


def ray_env() -> dict[str, str]:
    """The environment that keeps Ray on loopback and in this Python environment."""
    return {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",  # stop at once on SIGTERM (default: drain 30 s)
    }


def start_ray_head(folder: Path, *, cpus: int = 2, timeout: float = 120) -> RayHead:
    """``ray start --head --block`` on 127.0.0.1 with a temp dir under ``folder``; wait until it answers."""
    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    env = ray_env()
    ray_bin = str(Path(sys.executable).parent / "ray")
    # Ray's socket paths must stay short (AF_UNIX 107-byte limit). A driver's address="auto" reads
    # RAY_TMPDIR/ray/ray_current_cluster, which the head writes into its --temp-dir: with RAY_TMPDIR=folder the
    # drivers find this head, not whichever other Ray runs on the machine (another test session's).
    tmp = folder / RAY_TEMP
    port = _free_port()
    cmd = [ray_bin, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
           "--include-dashboard=false", f"--num-cpus={cpus}", f"--temp-dir={tmp}", "--disable-usage-stats"]  # fmt: skip
    with open(folder / "ray-head.out", "ab") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True
        )
    head = RayHead(
        folder=folder, env={**env, "RAY_TMPDIR": str(folder), "RAY_ADDRESS": f"127.0.0.1:{port}"}, proc=proc
    )
    try:

        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"ray start exited ({proc.returncode}); see {folder}/ray-head.out")
            return (tmp / "ray_current_cluster").exists() or any(tmp.glob("session_latest/logs/raylet.out"))

        _wait(up, timeout, "ray head", folder / "ray-head.out")
    except BaseException:
        head.stop()
        raise
    head.startup_s = time.perf_counter() - t0
    return head
