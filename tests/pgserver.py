"""A throw-away PostgreSQL server on 127.0.0.1 for the test session (Debian's postgresql package)."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL server binary {name} not found: run `make test` (it installs postgresql)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The test session's server: nothing it writes has to survive a crash, so it never waits for the disk.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# ... and keeps its files in memory when the machine has room: each test copies the ~9 MB template database,
# which on the shared CI disk took 0.5-0.8 s a test and 0.03 s in memory.
MEMORY_DIR, MEMORY_NEEDED = Path("/dev/shm"), 2 << 30


def _data_parent(fast: bool) -> str | None:
    """Where the server's folder goes: memory for the fast server if there is room, else the temp folder."""
    if fast and os.access(MEMORY_DIR, os.W_OK) and shutil.disk_usage(MEMORY_DIR).free >= MEMORY_NEEDED:
        return str(MEMORY_DIR)
    return None


class PostgresServer:
    """`settings` replace the fast test settings, e.g. bench.pgsettings.DEPLOYMENT_SETTINGS for a durable
    server that measures what a deployment would see."""

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.settings = FAST_SETTINGS if settings is None else settings
        self.dir = Path(tempfile.mkdtemp(prefix="yz-pg-", dir=_data_parent(settings is None)))
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PostgresServer:
        data, sock = self.dir / "data", self.dir / "sock"
        data.mkdir()
        sock.mkdir()
        if self.as_root:
            shutil.chown(self.dir, "postgres")
            shutil.chown(data, "postgres")
            shutil.chown(sock, "postgres")
        data.chmod(0o700)
        self._run(_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        options = " ".join(f"-c {name}={value}" for name, value in self.settings.items())
        self._run(_bin("pg_ctl"), "-D", str(data), "-l", str(self.dir / "pg.log"), "-w", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={sock} {options}",
                  "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
