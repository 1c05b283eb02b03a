#!/usr/bin/env python3
"""metrics_test: weft-server's /metrics as an operator's Prometheus sees it.

Starts the real weft-server (--dev, temporary data directory, OS-chosen loopback ports) and
the samples worker, runs workflows with the weft CLI, scrapes /metrics with curl and checks:
  1. weft_workflows_started_total and weft_workflows_closed_total{outcome="completed"} moved
     by exactly the number of workflows run, and the RPC counters with them;
  2. the backlog gauge counts workflow tasks started before any worker polls, and drains;
  3. activity attempts and failures count the retries of the Flaky sample exactly;
  4. `promtool check metrics` accepts the scrape;
  5. every metric name the shipped dashboards and alert rules use exists in the scrape of the
     server or of the worker (node_exporter names and `up` are not weft's and are exempt);
  6. the samples worker's own /metrics (--metrics-address 127.0.0.1:0, port from its ready
     line): activities completed/failed per type exactly as run, workflow tasks completed
     equal to the server's accepted RespondWorkflowTaskCompleted calls, replay and
     schedule-to-start observed once per task, series of registered types pre-created at 0,
     task slots back to all available, and `promtool check metrics` accepts its scrape.

usage: metrics_test.py WEFT_SERVER WEFT_SAMPLES_WORKER WEFT_CLI
Exit codes: 0 pass, 1 fail, 77 skipped (missing Debian packages that cannot be installed).
"""

import subprocess
import sys

import opslib
from opslib import fail, log, wait_for

GREETINGS = 5  # Greeting workflows run in phase 1
FLAKY_FAILURES = 2  # the Flaky sample's activity fails this many times, then succeeds


def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    server_bin, worker_bin, cli_bin = sys.argv[1:]
    for path, what in ((server_bin, "weft-server"), (worker_bin, "weft-samples-worker"),
                       (cli_bin, "weft")):
        opslib.require_binary(path, what)
    # curl: the scraper. prometheus: provides promtool.
    opslib.ensure_packages(["curl", "prometheus"])

    workdir = opslib.make_workdir("weft-metrics-test-")
    server = opslib.start_weft_server(server_bin, workdir)
    metrics_url = f"http://{server.http}/metrics"

    def scrape():
        return opslib.parse_metrics(opslib.http_get(metrics_url))[1]

    def cli(*args, timeout=60):
        return opslib.run([cli_bin, "--address", server.grpc, *args], timeout=timeout)

    for path in ("/healthz", "/readyz"):
        opslib.http_get(f"http://{server.http}{path}")  # raises unless 2xx
    before = scrape()

    def delta(samples, name, **labels):
        return (opslib.sample_sum(samples, name, **labels)
                - opslib.sample_sum(before, name, **labels))

    def scrape_with_completions(n):
        """A scrape that counts at least n more completed workflows than `before`, or None."""
        samples = scrape()
        return samples if delta(samples, "weft_workflows_closed_total", outcome="completed") >= n else None

    # Phase 1: Greeting workflows started before any worker runs, so their first workflow
    # tasks wait in the durable backlog.
    ids = [f"metrics-greeting-{i}" for i in range(GREETINGS)]
    for wid in ids:
        cli("workflow", "start", "--task-queue", "samples", "--type", "Greeting",
            "--workflow-id", wid, "--input", f'"{wid}"')
    wait_for(
        f"weft_task_queue_backlog of queue samples to reach {GREETINGS}",
        lambda: opslib.sample_sum(scrape(), "weft_task_queue_backlog", task_queue="samples",
                                  kind="workflow") == GREETINGS, timeout=20)
    log(f"backlog before the worker started: {GREETINGS} workflow tasks")

    worker = opslib.start_samples_worker(worker_bin, workdir, server.grpc,
                                         metrics_address="127.0.0.1:0")
    worker_url = f"http://{worker.metrics}/metrics"
    log(f"samples worker serves metrics at {worker_url}")

    def scrape_worker():
        return opslib.parse_metrics(opslib.http_get(worker_url))[1]

    for wid in ids:
        r = cli("workflow", "result", "--workflow-id", wid, "--timeout", "60s", timeout=90)
        if r.stdout.strip() != f'"Hello, {wid}!"':
            fail(f"workflow {wid} returned {r.stdout!r}")

    # Wait until the completions are counted (a scrape may race the last close), then every
    # counter must have moved by exactly its expected amount: no more, no less.
    after = wait_for(f"{GREETINGS} completions to be counted",
                     lambda: scrape_with_completions(GREETINGS), timeout=10)
    checks = [
        ("weft_workflows_started_total", {"namespace": "default"}, GREETINGS),
        ("weft_workflows_closed_total", {"namespace": "default", "outcome": "completed"}, GREETINGS),
        ("weft_workflows_closed_total", {"namespace": "default", "outcome": "failed"}, 0),
        ("weft_activity_attempts_total", {"namespace": "default", "activity_type": "ComposeGreeting"},
         GREETINGS),
        ("weft_rpc_requests_total", {"method": "StartWorkflowExecution", "code": "OK"}, GREETINGS),
        ("weft_rpc_latency_seconds_count", {"method": "StartWorkflowExecution", "code": "OK"}, GREETINGS),
    ]
    for name, labels, want in checks:
        got = delta(after, name, **labels)
        if got != want:
            fail(f"{name}{labels} moved by {got}, want {want}")
        log(f"ok: {name}{labels} moved by {want}")
    if delta(after, "weft_commit_latency_seconds_count") <= 0:
        fail("weft_commit_latency_seconds_count did not move although workflows ran")
    wait_for("weft_task_queue_backlog of queue samples to drain to 0",
             lambda: opslib.sample_sum(scrape(), "weft_task_queue_backlog", task_queue="samples") == 0,
             timeout=20)
    log("ok: backlog drained to 0")

    # The worker's own metrics. It started with these runs, so its counters are exact totals.
    def worker_has(samples, name, want, **labels):
        return opslib.sample_sum(samples, name, **labels) == want

    greet = {"namespace": "default", "task_queue": "samples"}
    w = wait_for(f"the worker to count {GREETINGS} completed ComposeGreeting activities",
                 lambda: (lambda s: s if worker_has(s, "weft_worker_activities_total", GREETINGS,
                                                    activity_type="ComposeGreeting",
                                                    outcome="completed", **greet) else None)(
                     scrape_worker()), timeout=10)
    accepted = delta(after, "weft_rpc_requests_total", method="RespondWorkflowTaskCompleted", code="OK")
    wf_completed = opslib.sample_sum(w, "weft_worker_workflow_tasks_total", workflow_type="Greeting",
                                     outcome="completed", **greet)
    if wf_completed < GREETINGS or wf_completed != accepted:
        fail(f"worker counted {wf_completed} completed Greeting workflow tasks; the server accepted "
             f"{accepted} RespondWorkflowTaskCompleted, want equal and >= {GREETINGS}")
    log(f"ok: weft_worker_workflow_tasks_total{{Greeting,completed}} = {wf_completed} = server's accepted answers")
    worker_checks = [
        ("weft_worker_activities_total", {"activity_type": "ComposeGreeting", "outcome": "failed"}, 0),
        ("weft_worker_activity_execution_seconds_count", {"activity_type": "ComposeGreeting"}, GREETINGS),
        ("weft_worker_activity_schedule_to_start_seconds_count", {"activity_type": "ComposeGreeting"},
         GREETINGS),
        ("weft_worker_workflow_tasks_total", {"workflow_type": "Greeting", "outcome": "failed"}, 0),
        ("weft_worker_workflow_task_execution_seconds_count", {"workflow_type": "Greeting"}, wf_completed),
        # Every completed task ran new code after its replay.
        ("weft_worker_workflow_task_replay_seconds_count", {"workflow_type": "Greeting"}, wf_completed),
        ("weft_worker_nondeterminism_errors_total", {"workflow_type": "Greeting"}, 0),
        ("weft_worker_sticky_cache_evictions_total", {}, 0),
    ]
    for name, labels, want in worker_checks:
        got = opslib.sample_sum(w, name, **labels, **greet)
        if got != want:
            fail(f"worker {name}{labels} = {got}, want {want}")
        log(f"ok: worker {name}{labels} = {want}")
    # Series of registered types exist before their first event (rate() needs the 0).
    for name, labels in [("weft_worker_activities_total", {"activity_type": "FlakyActivity", "outcome": "failed"}),
                         ("weft_worker_nondeterminism_errors_total", {"workflow_type": "Versioned"}),
                         ("weft_worker_polls_total", {"kind": "activity", "result": "error"})]:
        if not any(n == name and all(l.get(k) == v for k, v in labels.items()) for n, l, _ in w):
            fail(f"worker scrape lacks the pre-created series {name}{labels}")
    log("ok: the worker's series of registered types exist at 0")
    if opslib.sample_sum(w, "weft_worker_polls_total", kind="workflow", result="task", **greet) < GREETINGS:
        fail("worker counted fewer workflow polls with a task than Greeting runs")
    if opslib.sample_sum(w, "weft_worker_sticky_cache_hits_total", **greet) < 1:
        fail("no sticky cache hit although every Greeting's second task goes to the sticky queue")
    # Idle again: no slot in use; all of them available (samples worker defaults: 2 workflow
    # tasks plus as many sticky pollers, 8 activities).
    w = wait_for("the worker's slots to be free again",
                 lambda: (lambda s: s if opslib.sample_sum(s, "weft_worker_task_slots", state="used") == 0
                          else None)(scrape_worker()), timeout=10)
    for kind, want in (("workflow", 4), ("activity", 8)):
        got = opslib.sample_sum(w, "weft_worker_task_slots", kind=kind, state="available", **greet)
        if got != want:
            fail(f"weft_worker_task_slots{{kind={kind},state=available}} = {got}, want {want}")
    log("ok: worker slots all available when idle (workflow 4, activity 8)")

    # Phase 2: the Flaky sample's activity fails FLAKY_FAILURES times; the server retries it.
    before = after
    cli("workflow", "start", "--task-queue", "samples", "--type", "Flaky", "--workflow-id",
        "metrics-flaky", "--input", str(FLAKY_FAILURES))
    r = cli("workflow", "result", "--workflow-id", "metrics-flaky", "--timeout", "60s", timeout=90)
    log(f"Flaky returned {r.stdout.strip()}")
    after = wait_for("the Flaky completion to be counted",
                     lambda: scrape_with_completions(1), timeout=10)
    w = wait_for("the worker to count the Flaky attempts",
                 lambda: (lambda s: s if worker_has(s, "weft_worker_activities_total", 1,
                                                    activity_type="FlakyActivity",
                                                    outcome="completed") else None)(scrape_worker()),
                 timeout=10)
    for outcome, want in (("failed", FLAKY_FAILURES), ("completed", 1), ("canceled", 0)):
        got = opslib.sample_sum(w, "weft_worker_activities_total", activity_type="FlakyActivity",
                                outcome=outcome)
        if got != want:
            fail(f"worker weft_worker_activities_total{{FlakyActivity,{outcome}}} = {got}, want {want}")
    log(f"ok: worker counted FlakyActivity failed={FLAKY_FAILURES} completed=1")
    for name, labels, want in [
        ("weft_activity_attempts_total", {"activity_type": "FlakyActivity"}, FLAKY_FAILURES + 1),
        ("weft_activity_failures_total", {"activity_type": "FlakyActivity"}, FLAKY_FAILURES),
        ("weft_workflows_closed_total", {"outcome": "completed"}, 1),
        ("weft_workflows_started_total", {}, 1),
    ]:
        got = delta(after, name, **labels)
        if got != want:
            fail(f"{name}{labels} moved by {got}, want {want}")
        log(f"ok: {name}{labels} moved by {want}")

    # promtool's linter on the exact text a scraper receives.
    text = opslib.http_get(metrics_url)
    lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30)
    if lint.returncode != 0:
        fail(f"promtool check metrics rejected the scrape:\n{lint.stdout}{lint.stderr}")
    log("ok: promtool check metrics accepts the scrape")
    worker_text = opslib.http_get(worker_url)
    lint = subprocess.run(["promtool", "check", "metrics"], input=worker_text, capture_output=True,
                          text=True, timeout=30)
    if lint.returncode != 0:
        fail(f"promtool check metrics rejected the worker's scrape:\n{lint.stdout}{lint.stderr}")
    log("ok: promtool check metrics accepts the worker's scrape")

    # Every metric the dashboards and rules use must exist. Histograms are used as
    # name_bucket/_sum/_count: those are sample names of the scrape.
    families, samples = opslib.parse_metrics(text)
    worker_families, worker_samples = opslib.parse_metrics(worker_text)
    present = (set(families) | {n for n, _, _ in samples}
               | set(worker_families) | {n for n, _, _ in worker_samples})
    used = opslib.deploy_metric_names()
    missing = {n: w for n, w in used.items()
               if n not in present and not opslib.EXTERNAL_METRIC.match(n)}
    if missing:
        fail("metric names used in deploy/ but absent from the scrape:\n" + "\n".join(
            f"  {n}: used by {', '.join(sorted(set(w)))}" for n, w in sorted(missing.items())))
    weft_used = sorted(n for n in used if not opslib.EXTERNAL_METRIC.match(n))
    log(f"ok: all {len(weft_used)} weft metric names used in deploy/ exist: {', '.join(weft_used)}")

    if worker.stop() != 0:
        log(f"note: samples worker exit code {worker.popen.returncode}")
    code = server.proc.stop()
    if code != 0:
        fail(f"weft-server exited {code} on SIGTERM; output:\n{server.proc.output()}")
    log("PASS")


if __name__ == "__main__":
    main()
