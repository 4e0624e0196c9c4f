"""A `cbkit mock` or `cbkit record` subprocess on 127.0.0.1 and a port the kernel picks.

The port is read from the first line the command prints ("listening on
http://127.0.0.1:PORT"); the rest of stdout is drained by a thread; stderr goes to a file.
Only the PID started here is ever signalled.
"""

import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
LISTENING = re.compile(r"^listening on http://127\.0\.0\.1:(\d+)$")


class CbkitError(Exception):
    """cbkit could not be started, or stopped badly."""


def server_env(base=None):
    """The environment of a cbkit process: the caller's, less every CBKIT_* variable, so
    that the plugin's flags alone decide how the mock runs (CBKIT_ADMIN_TOKEN would lock the
    plugin out of the admin API, CBKIT_SCENARIO would apply to every test)."""
    env = dict(os.environ if base is None else base)
    for k in list(env):
        if k.startswith("CBKIT_"):
            del env[k]
    return env


class Process:
    """`cbkit COMMAND --port 0 ARGS...` on 127.0.0.1."""

    def __init__(self, binary, command, args, env=None, cwd=None):
        self.name = "cbkit " + command
        self.args = [binary, command, "--port", "0"] + [str(a) for a in args]
        self._stderr = tempfile.NamedTemporaryFile(prefix="pytest-cbkit-", suffix=".stderr",
                                                   delete=False)
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=self._stderr,
                                         env=server_env(env), cwd=cwd)
        except OSError as e:
            self._stderr.close()
            os.unlink(self._stderr.name)
            raise CbkitError("cannot run %s: %s" % (binary, e)) from e
        self.returncode = None
        self._out = []
        self._rest = b""
        try:
            first = self._first_line()
            m = LISTENING.match(first)
            if not m:
                raise CbkitError("%s printed %r first, not 'listening on http://127.0.0.1:PORT'"
                                 "\n%s" % (self.name, first, self.stderr()))
        except BaseException:
            self.kill()
            self.cleanup()
            raise
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _first_line(self):
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CbkitError("%s printed nothing within %.0f s" % (self.name, START_TIMEOUT))
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                status = self.proc.wait(STOP_TIMEOUT)
                raise CbkitError("%s exited with status %s before listening:\n%s"
                                 % (" ".join(self.args), status, self.stderr().strip()))
            buf += chunk
        first, self._rest = buf.split(b"\n", 1)
        return first.decode("utf-8", "replace")

    def _read_rest(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._out.append(chunk)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal our PID and wait (bounded); kill it if it hangs. Returns the exit status."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise CbkitError("%s did not stop within %.0f s" % (self.name, timeout))
            if hasattr(self, "_drain"):
                self._drain.join(STOP_TIMEOUT)
        return self.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.returncode

    def cleanup(self):
        """Kill if still running, close pipes, delete the stderr file."""
        self.kill()
        if self.proc.stdout and not self.proc.stdout.closed:
            if hasattr(self, "_drain"):
                self._drain.join(STOP_TIMEOUT)
            self.proc.stdout.close()
        self._stderr.close()
        try:
            os.unlink(self._stderr.name)
        except OSError:
            pass

    def stdout(self):
        return (self._rest + b"".join(self._out)).decode("utf-8", "replace")

    def stderr(self):
        try:
            with open(self._stderr.name, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""
