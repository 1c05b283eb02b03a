"""Helpers shared by the operations tests in tests/ops/.

- ensure_packages(): installs missing Debian packages when running as root, otherwise
  exits with SKIP (77), which ctest reports as skipped.
- Proc / start_weft_server() / start_samples_worker(): real processes on loopback with their
  output in files, killed with the test (PR_SET_PDEATHSIG) and stopped at exit.
- wait_for(): polls a condition until a deadline; tests never sleep a fixed time to wait.
- parse_metrics(), deploy_metric_names(): Prometheus text format parsing and the metric names
  the shipped dashboards and alert rules use.

Only Python's standard library and python3-yaml (PyYAML) are used.
"""

import atexit
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(REPO, "deploy")
RULE_FILES = sorted(glob.glob(os.path.join(DEPLOY, "prometheus", "rules", "*.yml")))
DASHBOARD_FILES = sorted(glob.glob(os.path.join(DEPLOY, "grafana", "dashboards", "*.json")))


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    sys.exit(1)


def skip(msg):
    log(f"SKIP: {msg}")
    sys.exit(SKIP)


def ensure_packages(packages):
    """Makes sure the Debian packages are installed: installs the missing ones with apt-get
    when running as root; otherwise (or when apt fails) skips the test with exit code 77."""
    missing = []
    for p in packages:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(p)
    if not missing:
        return
    if os.geteuid() != 0:
        skip(f"missing Debian packages {missing}; install them with: "
             f"sudo apt-get install --no-install-recommends {' '.join(missing)}")
    log(f"installing missing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Serialise with other tests that may install at the same time (ctest -j).
    lock = ["flock", "/tmp/weft-ops-apt.lock"]
    cmds = [lock + ["apt-get", "update", "-qq"],
            lock + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing]
    for cmd in cmds:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            skip(f"could not install {missing}: {' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")


def require_binary(path, what):
    if not path or not os.access(path, os.X_OK):
        fail(f"{what} not found or not executable: {path!r} (build it first)")


def wait_for(what, condition, timeout, interval=0.1):
    """Polls condition() until it returns a truthy value (returned) or the deadline passes
    (the test fails, naming `what`)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - a condition may fail until it holds
            last_error = e
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout}s waiting for {what}"
                 + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)


def _die_with_parent():
    # Runs in the child between fork and exec: SIGKILL it when the test process dies, so a
    # test killed by ctest's timeout leaves no server behind.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_live = []


def _stop_all():
    for p in reversed(_live):
        p.stop()


atexit.register(_stop_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Proc:
    """A child process with stdout and stderr in one log file."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(workdir, f"{name}.log")
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        _live.append(self)

    def output(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def wait_for_line(self, pattern, timeout):
        """Returns the regex match of the first output line matching pattern."""
        rx = re.compile(pattern)

        def found():
            if self.popen.poll() is not None:
                fail(f"{self.name} exited with {self.popen.returncode} before printing "
                     f"{pattern!r}; output:\n{self.output()}")
            for line in self.output().splitlines():
                m = rx.search(line)
                if m:
                    return m
            return None

        return wait_for(f"{self.name} to print {pattern!r}", found, timeout)

    def stop(self, timeout=15):
        """SIGTERM, then SIGKILL after timeout; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} ignored SIGTERM for {timeout}s; killing it")
                self.popen.kill()
                self.popen.wait()
        if self in _live:
            _live.remove(self)
        self._log.close()
        return self.popen.returncode


class WeftServer:
    def __init__(self, proc, grpc, http):
        self.proc, self.grpc, self.http = proc, grpc, http


def start_weft_server(binary, workdir, timeout=60):
    """Starts weft-server --dev on loopback with OS-chosen ports read from its ready line."""
    data = os.path.join(workdir, "weft-data")
    proc = Proc("weft-server", [binary, "--dev", "--data-dir", data, "--grpc-address", "127.0.0.1:0",
                                "--http-address", "127.0.0.1:0"], workdir)
    m = proc.wait_for_line(r"weft-server ready grpc=(\S+) http=(\S+)", timeout)
    log(f"weft-server ready: grpc={m.group(1)} http={m.group(2)}")
    return WeftServer(proc, m.group(1), m.group(2))


def start_samples_worker(binary, workdir, grpc, timeout=60, metrics_address=None):
    """Starts the samples worker. With metrics_address (e.g. 127.0.0.1:0) it serves its own
    /metrics; proc.metrics is then the HOST:PORT it bound, read from its ready line."""
    argv = [binary, "--address", grpc]
    if metrics_address:
        argv += ["--metrics-address", metrics_address]
    proc = Proc("weft-samples-worker", argv, workdir)
    m = proc.wait_for_line(r"weft-samples-worker ready(?:.* metrics=(\S+))?", timeout)
    proc.metrics = m.group(1)
    if metrics_address and not proc.metrics:
        fail(f"weft-samples-worker --metrics-address {metrics_address} printed no metrics address; "
             f"output:\n{proc.output()}")
    return proc


def run(argv, timeout=60, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        fail(f"{' '.join(argv)} exited {r.returncode}:\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def http_get(url, timeout=10):
    """GET with curl (a real HTTP client, as a scraper would use); returns the body."""
    r = subprocess.run(["curl", "-fsS", "--max-time", str(timeout), url], capture_output=True,
                       text=True, timeout=timeout + 5)
    if r.returncode != 0:
        raise RuntimeError(f"curl {url}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def free_port():
    """A port that was free a moment ago, for programs that cannot report an OS-chosen port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_workdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


# --- Prometheus text format ----------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Returns (families {name: type}, samples [(name, {labels}, value)])."""
    families, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            families[name] = kind.strip()
        elif line and not line.startswith("#"):
            m = _SAMPLE.match(line)
            if not m:
                raise ValueError(f"unparsable metrics line: {line!r}")
            labels = dict(_LABEL.findall(m.group(2) or ""))
            samples.append((m.group(1), labels, float(m.group(3))))
    return families, samples


def sample_sum(samples, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(v for n, l, v in samples
               if n == name and all(l.get(k) == want for k, want in labels.items()))


# --- Metric names used by the shipped dashboards and rules --------------------------------

# Names that are not weft's own: node_exporter (disk alerts and panels) and Prometheus' `up`.
EXTERNAL_METRIC = re.compile(r"^(node_.*|up)$")
_WEFT_NAME = re.compile(r"(?<![A-Za-z0-9_:])(weft_[A-Za-z0-9_]+)")
_SELECTOR_NAME = re.compile(r"(?<![A-Za-z0-9_:\"$.])([A-Za-z_:][A-Za-z0-9_:]*)\s*\{")


def _metric_names(expr):
    # Every weft_ token is a metric name (labels and label values never start with weft_),
    # and so is any identifier directly followed by a label selector `{`.
    return set(_WEFT_NAME.findall(expr)) | set(_SELECTOR_NAME.findall(expr))


def deploy_exprs():
    """[(where, PromQL)] for every alert/recording rule and dashboard query in deploy/."""
    import yaml

    out = []
    for path in RULE_FILES:
        with open(path) as f:
            doc = yaml.safe_load(f)
        for group in doc["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert") or rule.get("record")
                out.append((f"{os.path.basename(path)}:{name}", rule["expr"]))
    for path in DASHBOARD_FILES:
        with open(path) as f:
            dash = json.load(f)
        for panel in dash["panels"]:
            for t in panel.get("targets", []):
                out.append((f"{os.path.basename(path)}:{panel['title']}", t["expr"]))
        for var in dash["templating"]["list"]:
            if var.get("type") == "query":
                out.append((f"{os.path.basename(path)}:${var['name']}", var["definition"]))
    return out


def deploy_metric_names():
    """{metric name: [where it is used]} over deploy_exprs()."""
    names = {}
    for where, expr in deploy_exprs():
        for n in _metric_names(expr):
            names.setdefault(n, []).append(where)
    return names
