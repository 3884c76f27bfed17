"""Real servers the fault tests break on purpose: a redis-server of their own, a TCP proxy.

`RedisServer` runs `redis-server` on a free port with no persistence, so a restart comes
back empty, as a crashed Redis without a disk would. `kill`, `pause` (SIGSTOP: the socket
accepts, nothing answers), `resume`, `restart`. `TcpProxy` sits between the app and
PostgreSQL and can `refuse` (nothing listens), go `silent` (accepts and forwards nothing,
both ways, on new and open connections), go `slow` (forwards everything, late) or `restore`.
`Gunicorn` serves an app with real workers, one of which can be SIGKILLed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, up: bool = True, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise RuntimeError(f"port {port} did not {'open' if up else 'close'}")


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(  # noqa: S603 - our own redis-server, fixed arguments
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_listening(self.port)
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        _wait_listening(self.port, up=False)

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGCONT)
            self.kill()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream; the test decides when it stops doing so."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "pass"
        self.delay = 0.0  # `slow`: seconds each chunk waits before it is passed on
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(client)
            if self.mode == "silent":
                continue  # accepted, and never answered
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.append(server)
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while self.mode == "silent":  # hold the bytes: the peer hears nothing
                    time.sleep(0.02)
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def refuse(self) -> None:
        """Nothing listens any more, and open connections are cut: 'connection refused'."""
        self.mode = "refuse"
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self._listener.close()
            self._listener = None
        self._drop_all()

    def silent(self) -> None:
        """Connections stay open, new ones are accepted, and nothing comes back."""
        self.mode = "silent"

    def slow(self, seconds: float) -> None:
        """Everything still gets through, each chunk (either way) `seconds` late: a
        database that answers, slowly (a starved machine, a congested link)."""
        self.delay = seconds

    def restore(self) -> None:
        was = self.mode
        self.mode, self.delay = "pass", 0.0
        if was == "silent":
            self._drop_all()  # what was held mid-protocol is of no use to anyone
        if self._listener is None:
            self.start()

    def stop(self) -> None:
        self.refuse()


ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of a process (and, with `children`, of its reaped children),
    from /proc/<pid>/stat: fields 14-17 after the command name."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


class Gunicorn:
    """A WSGI app under gunicorn (the project's gunicorn.conf.py) on a free port of loopback.

    `kill_worker()` SIGKILLs one worker, as the kernel's OOM killer or a crash would; the
    master starts another. `cpu_seconds()` is the CPU time of the master and all its workers,
    those killed or gone included (the master has reaped them).
    """

    def __init__(self, target: str, env: dict[str, str], workers: int = 2,
                 threads: int = 4, worker_class: str | None = None) -> None:
        self.target = target
        self.worker_class = worker_class  # None: gunicorn.conf.py's
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed = 0

    def start(self, timeout: float = 60.0) -> Gunicorn:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", self.target, "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--threads", str(self.threads),
             "--log-level", "warning", "--graceful-timeout", "5",
             "--no-control-socket"]  # several servers at once: no shared socket path
            + (["--worker-class", self.worker_class] if self.worker_class else []),
            cwd=ROOT, env={**os.environ, **self.env})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.target} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310
                    if len(self.worker_pids()) == self.workers:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn {self.target} did not start on port {self.port}")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as children:
                return [int(pid) for pid in children.read().split()]
        except OSError:
            return []

    def kill_worker(self) -> int:
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError("gunicorn has no worker to kill")
        os.kill(pids[0], signal.SIGKILL)
        self.killed += 1
        return pids[0]

    def wait_workers(self, timeout: float = 30.0) -> bool:
        """True once the master runs its full count of workers again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.worker_pids()) == self.workers:
                return True
            time.sleep(0.1)
        return False

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        total = cpu_seconds(self.proc.pid, children=True)
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class ProxyProcess:
    """A `TcpProxy` in a process of its own (`python -m tests.fault_servers HOST PORT`), so
    its pumping takes neither the caller's CPU and GIL nor the app's: for the surge bench,
    whose hundreds of caller threads share one interpreter. Signals switch its mode."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> ProxyProcess:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.fault_servers", self.upstream[0], str(self.upstream[1])],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        return self

    def _signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def silent(self) -> None:
        self._signal(signal.SIGUSR1)

    def refuse(self) -> None:
        self._signal(signal.SIGUSR2)

    def restore(self) -> None:
        self._signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None


def serve_proxy(host: str, port: int) -> None:
    proxy = TcpProxy(host, port).start()
    signal.signal(signal.SIGUSR1, lambda *_: proxy.silent())
    signal.signal(signal.SIGUSR2, lambda *_: proxy.refuse())
    signal.signal(signal.SIGHUP, lambda *_: proxy.restore())
    print(proxy.port, flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    serve_proxy(sys.argv[1], int(sys.argv[2]))
