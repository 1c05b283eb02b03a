#!/usr/bin/env python3
"""Generates the weft Grafana dashboards in deploy/grafana/dashboards/.

The dashboards are committed as plain JSON (what Grafana provisioning loads); this script is
their source, so that the five dashboards share one set of template variables, units and
panel conventions. Edit here, run `python3 deploy/grafana/generate_dashboards.py`, and commit
both. `tests/ops/validate_deploy.py` fails when the JSON and this script disagree.

Only Python's standard library is used.
"""

import json
import os
import sys

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# Long polls stay open up to 60 s by design; latency panels leave them out.
NOT_LONG_POLL = 'method!~"Poll.*|GetWorkflowExecutionHistory"'
# Status codes that a caller cannot fix by changing its request.
SERVER_ERROR_CODES = 'code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED|UNIMPLEMENTED"'
INSTANCE = 'instance=~"$instance"'
# Worker processes (job weft-workers, or a PodMonitor on Kubernetes): their own variable, so
# that the server's $instance, carried over by the dashboard links, filters nothing here.
WORKER = 'instance=~"$worker"'
NS = 'namespace=~"$namespace"'
# weft_task_queue_backlog is filtered by task queue only: see the panel description.
TQ = 'task_queue=~"$task_queue"'
BACKLOG_NOTE = (
    "Tasks in the durable backlog plus tasks handed out but not yet recorded as started. "
    "Filtered by task queue only: this gauge's namespace label currently carries the "
    "namespace id rather than its name."
)


def templating(workers=False):
    """Variables shared by every dashboard: data source, instance, namespace, task queue. The
    workers dashboard takes namespaces and task queues from the workers' own series and adds
    $worker (the worker processes)."""

    def query_var(name, label, query, description):
        return {
            "name": name,
            "label": label,
            "description": description,
            "type": "query",
            "datasource": DATASOURCE,
            "query": {"query": query, "refId": f"{name}-var"},
            "definition": query,
            "refresh": 2,  # on time range change
            "includeAll": True,
            "allValue": ".*",
            "multi": True,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "sort": 1,
            "hide": 0,
        }

    if workers:
        namespace = query_var("namespace", "Namespace", "label_values(weft_worker_polls_total, namespace)",
                              "Namespaces the workers poll")
        task_queue = query_var("task_queue", "Task queue", "label_values(weft_worker_polls_total, task_queue)",
                               "Task queues the workers poll")
    else:
        namespace = query_var("namespace", "Namespace", "label_values(weft_workflows_started_total, namespace)",
                              "weft namespaces that have started workflows")
        task_queue = query_var("task_queue", "Task queue", "label_values(weft_task_queue_backlog, task_queue)",
                               "Task queues that have had a backlog")
    extra = []
    if workers:
        extra.append(query_var("worker", "Worker", "label_values(weft_worker_polls_total, instance)",
                               "Worker processes that serve /metrics (scrape targets with weft_worker_ series)"))
    return {
        "list": [
            {
                "name": "datasource",
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
                "current": {},
                "hide": 0,
                "refresh": 1,
            },
            query_var("instance", "Server", 'label_values(up{job="weft-server"}, instance)',
                      "weft-server instances (Prometheus scrape targets of job weft-server)"),
            namespace,
            task_queue,
        ] + extra
    }


class Layout:
    """Places panels left to right on a 24-column grid, wrapping to new rows."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1

    def place(self, panel, w, h):
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel["id"] = self.next_id
        self.next_id += 1
        self.x += w
        self.row_h = max(self.row_h, h)
        return panel

    def row(self, title):
        if self.x:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel = {"type": "row", "title": title, "collapsed": False, "panels": []}
        self.place(panel, 24, 1)
        self.x, self.y, self.row_h = 0, self.y + 1, 0
        return panel


def targets(exprs):
    return [
        {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i)}
        for i, (expr, legend) in enumerate(exprs)
    ]


def timeseries(title, exprs, unit, description, stack=False, min_zero=True):
    custom = {"lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": False}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    defaults = {"unit": unit, "custom": custom}
    if min_zero:
        defaults["min"] = 0
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets(exprs),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def stat(title, expr, unit, description, thresholds=None, decimals=None):
    steps = [{"color": "green", "value": None}]
    for color, value in thresholds or []:
        steps.append({"color": color, "value": value})
    defaults = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets([(expr, "")]),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        },
    }


def dashboard(uid, title, description, build_panels, workers=False):
    layout = Layout()
    panels = build_panels(layout)
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["weft"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,  # shared crosshair
        "refresh": "30s",
        "schemaVersion": 38,
        "version": 1,
        "time": {"from": "now-3h", "to": "now"},
        "templating": templating(workers),
        "annotations": {"list": []},
        "links": [
            {"type": "dashboards", "tags": ["weft"], "asDropdown": True, "title": "weft dashboards",
             "includeVars": True, "keepTime": True}
        ],
        "panels": panels,
    }


def overview(layout):
    p = []
    p.append(layout.row("Health"))
    p.append(layout.place(stat(
        "Servers up", f'sum(up{{job="weft-server",{INSTANCE}}})', "none",
        "weft-server instances Prometheus can scrape."), 4, 4))
    p.append(layout.place(stat(
        "Requests/s", f"sum(rate(weft_rpc_requests_total{{{INSTANCE}}}[$__rate_interval]))", "reqps",
        "gRPC calls per second, long polls included."), 4, 4))
    p.append(layout.place(stat(
        "Server error ratio",
        f"sum(rate(weft_rpc_requests_total{{{INSTANCE},{SERVER_ERROR_CODES}}}[$__rate_interval]))"
        f" / sum(rate(weft_rpc_requests_total{{{INSTANCE}}}[$__rate_interval]))",
        "percentunit", "Share of calls failing with a server-side code. Alert: above 1%.",
        thresholds=[("orange", 0.005), ("red", 0.01)], decimals=2), 4, 4))
    p.append(layout.place(stat(
        "Workflows started/s",
        f"sum(rate(weft_workflows_started_total{{{INSTANCE},{NS}}}[$__rate_interval]))", "ops",
        "New workflow runs per second."), 4, 4))
    p.append(layout.place(stat(
        "Workflows completed/s",
        f'sum(rate(weft_workflows_closed_total{{{INSTANCE},{NS},outcome="completed"}}[$__rate_interval]))',
        "ops", "Runs that completed successfully, per second."), 4, 4))
    p.append(layout.place(stat(
        "Tasks in backlog", f"sum(weft_task_queue_backlog{{{INSTANCE},{TQ}}})", "none",
        BACKLOG_NOTE, thresholds=[("orange", 100), ("red", 1000)]), 4, 4))

    p.append(layout.row("Frontend"))
    p.append(layout.place(timeseries(
        "Requests by method",
        [(f"sum by (method) (rate(weft_rpc_requests_total{{{INSTANCE}}}[$__rate_interval]))", "{{method}}")],
        "reqps", "gRPC calls per second by method."), 12, 8))
    p.append(layout.place(timeseries(
        "Errors by method and code",
        [(f'sum by (method, code) (rate(weft_rpc_requests_total{{{INSTANCE},code!="OK"}}[$__rate_interval]))',
          "{{method}} {{code}}")],
        "reqps",
        "Calls that did not return OK. Server-side codes (INTERNAL, UNAVAILABLE, DATA_LOSS, ...) "
        "are the server's fault; INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS are the caller's."), 12, 8))
    p.append(layout.place(timeseries(
        "Latency p99 by method",
        [(f"histogram_quantile(0.99, sum by (method, le) (rate(weft_rpc_latency_seconds_bucket"
          f"{{{INSTANCE},{NOT_LONG_POLL}}}[$__rate_interval])))", "{{method}}")],
        "s", "99th percentile latency per method, long polls excluded. Alert: above 500 ms."), 12, 8))
    p.append(layout.place(timeseries(
        "Latency p50 by method",
        [(f"histogram_quantile(0.5, sum by (method, le) (rate(weft_rpc_latency_seconds_bucket"
          f"{{{INSTANCE},{NOT_LONG_POLL}}}[$__rate_interval])))", "{{method}}")],
        "s", "Median latency per method, long polls excluded."), 12, 8))

    p.append(layout.row("Workflows and persistence"))
    p.append(layout.place(timeseries(
        "Workflows started and closed",
        [(f"sum(rate(weft_workflows_started_total{{{INSTANCE},{NS}}}[$__rate_interval]))", "started"),
         (f"sum by (outcome) (rate(weft_workflows_closed_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "closed: {{outcome}}")],
        "ops", "Runs started and closed per second, closed split by outcome."), 8, 8))
    p.append(layout.place(timeseries(
        "Commit latency p99",
        [(f"histogram_quantile(0.99, sum by (instance, le) (rate(weft_commit_latency_seconds_bucket"
          f"{{{INSTANCE}}}[$__rate_interval])))", "{{instance}}")],
        "s", "p99 of one synced RocksDB group write. Alert: above 50 ms."), 8, 8))
    p.append(layout.place(timeseries(
        "Backlog by task queue",
        [(f"sum by (task_queue, kind) (weft_task_queue_backlog{{{INSTANCE},{TQ}}})", "{{task_queue}} {{kind}}")],
        "none", BACKLOG_NOTE), 8, 8))
    return p


def history(layout):
    p = []
    p.append(layout.row("Group commit"))
    p.append(layout.place(timeseries(
        "Commit latency",
        [(f"histogram_quantile({q}, sum by (le) (rate(weft_commit_latency_seconds_bucket{{{INSTANCE}}}"
          f"[$__rate_interval])))", f"p{int(q * 100)}") for q in (0.5, 0.9, 0.99)],
        "s", "Latency of one synced RocksDB write batch (fsync included). Every acknowledged state "
        "transition waits for one. Alert: p99 above 50 ms."), 12, 8))
    p.append(layout.place(timeseries(
        "Commits and transitions per second",
        [(f"sum(rate(weft_commit_latency_seconds_count{{{INSTANCE}}}[$__rate_interval]))", "group writes/s"),
         (f"sum(rate(weft_commit_batch_transitions_sum{{{INSTANCE}}}[$__rate_interval]))", "transitions/s")],
        "ops", "Synced writes per second and the state transitions they carried. The gap between "
        "the two lines is what group commit saves."), 12, 8))
    p.append(layout.place(timeseries(
        "Transitions per group write",
        [(f"sum(rate(weft_commit_batch_transitions_sum{{{INSTANCE}}}[$__rate_interval])) / "
          f"sum(rate(weft_commit_batch_transitions_count{{{INSTANCE}}}[$__rate_interval]))", "mean"),
         (f"histogram_quantile(0.99, sum by (le) (rate(weft_commit_batch_transitions_bucket{{{INSTANCE}}}"
          f"[$__rate_interval])))", "p99")],
        "none", "How many concurrent transitions one fsync carries. Near 1 under light load; grows "
        "with concurrency."), 12, 8))
    p.append(layout.place(timeseries(
        "Time spent in commits",
        [(f"sum by (instance) (rate(weft_commit_latency_seconds_sum{{{INSTANCE}}}[$__rate_interval]))",
          "{{instance}}")],
        "s", "Seconds spent in synced writes per second, summed over the shards' committers "
        "(they write in parallel, so this can exceed 1). Rising while throughput is flat: the "
        "disk got slower."), 12, 8))

    p.append(layout.row("Writes as callers see them"))
    writers = "StartWorkflowExecution|SignalWorkflowExecution|RespondWorkflowTaskCompleted|" \
              "RespondActivityTaskCompleted|RespondActivityTaskFailed"
    p.append(layout.place(timeseries(
        "Write RPC latency p99",
        [(f'histogram_quantile(0.99, sum by (method, le) (rate(weft_rpc_latency_seconds_bucket'
          f'{{{INSTANCE},method=~"{writers}"}}[$__rate_interval])))', "{{method}}")],
        "s", "p99 of the calls that commit a state transition; compare with commit latency."), 12, 8))
    p.append(layout.place(timeseries(
        "Write RPC rate",
        [(f'sum by (method) (rate(weft_rpc_requests_total{{{INSTANCE},method=~"{writers}"}}[$__rate_interval]))',
          "{{method}}")],
        "reqps", "Calls per second that commit a state transition."), 12, 8))

    p.append(layout.row("Disk (node_exporter)"))
    fs = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|autofs"'
    p.append(layout.place(timeseries(
        "Free space",
        [(f"node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}",
          "{{instance}} {{mountpoint}}")],
        "percentunit", "Free share of each filesystem reported by node_exporter. Alert: below 10%."), 12, 8))
    p.append(layout.place(timeseries(
        "Free bytes",
        [(f"node_filesystem_avail_bytes{{{fs}}}", "{{instance}} {{mountpoint}}")],
        "bytes", "Free bytes per filesystem."), 12, 8))
    return p


def task_queues(layout):
    p = []
    p.append(layout.row("Backlog"))
    p.append(layout.place(timeseries(
        "Backlog by task queue and kind",
        [(f"sum by (task_queue, kind) (weft_task_queue_backlog{{{INSTANCE},{TQ}}})", "{{task_queue}} {{kind}}")],
        "none", BACKLOG_NOTE + " Alert: above 1000 for 10 minutes."), 12, 9))
    p.append(layout.place(timeseries(
        "Lowest backlog in the last 30 minutes",
        [(f"min by (task_queue, kind) (min_over_time(weft_task_queue_backlog{{{INSTANCE},{TQ}}}[30m]))",
          "{{task_queue}} {{kind}}")],
        "none", "Above zero: the queue has not been empty for 30 minutes, so its oldest task has "
        "waited at least that long (or nothing polls it). Alert: WeftTaskQueueNotDraining."), 12, 9))
    p.append(layout.place(timeseries(
        "Backlog change per minute",
        [(f"sum by (task_queue, kind) (deriv(weft_task_queue_backlog{{{INSTANCE},{TQ}}}[5m])) * 60",
          "{{task_queue}} {{kind}}")],
        "none", "Positive: tasks arrive faster than workers take them.", min_zero=False), 24, 8))

    p.append(layout.row("Pollers"))
    p.append(layout.place(timeseries(
        "Polls per second",
        [(f'sum by (method, code) (rate(weft_rpc_requests_total{{{INSTANCE},method=~"Poll.*"}}[$__rate_interval]))',
          "{{method}} {{code}}")],
        "reqps", "Long polls returned per second (with a task or empty after the poll timeout). "
        "Zero means no worker polls at all."), 12, 8))
    p.append(layout.place(timeseries(
        "Mean poll wait",
        [(f'sum by (method) (rate(weft_rpc_latency_seconds_sum{{{INSTANCE},method=~"Poll.*"}}[$__rate_interval]))'
          f' / sum by (method) (rate(weft_rpc_latency_seconds_count{{{INSTANCE},method=~"Poll.*"}}[$__rate_interval]))',
          "{{method}}")],
        "s", "How long a poll waits for a task. Long waits: workers are idle (spare capacity). "
        "Near zero with a backlog: workers are the bottleneck."), 12, 8))

    p.append(layout.row("Dispatch"))
    p.append(layout.place(timeseries(
        "Activity tasks dispatched by type",
        [(f"sum by (activity_type) (rate(weft_activity_attempts_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{activity_type}}")],
        "ops", "Activity attempts handed to workers per second."), 12, 8))
    p.append(layout.place(timeseries(
        "Workflow task completions",
        [(f'sum by (method, code) (rate(weft_rpc_requests_total{{{INSTANCE},method=~"RespondWorkflowTask.*"}}'
          f'[$__rate_interval]))', "{{method}} {{code}}")],
        "reqps", "Workflow tasks answered by workers per second."), 12, 8))
    return p


def workflows(layout):
    p = []
    p.append(layout.row("Workflows"))
    p.append(layout.place(timeseries(
        "Started by namespace",
        [(f"sum by (namespace) (rate(weft_workflows_started_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{namespace}}")],
        "ops", "New workflow runs per second."), 12, 8))
    p.append(layout.place(timeseries(
        "Closed by outcome",
        [(f"sum by (outcome) (rate(weft_workflows_closed_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{outcome}}")],
        "ops", "Runs closed per second: completed, failed, canceled, terminated, timed_out.",
        stack=True), 12, 8))
    p.append(layout.place(timeseries(
        "Unsuccessful share of closed runs",
        [(f'sum by (namespace) (rate(weft_workflows_closed_total{{{INSTANCE},{NS},outcome!="completed"}}[$__rate_interval]))'
          f" / sum by (namespace) (rate(weft_workflows_closed_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{namespace}}")],
        "percentunit", "Failed, canceled, terminated and timed-out runs as a share of all closed runs."), 12, 8))
    p.append(layout.place(timeseries(
        "Started minus completed (1h)",
        [(f"sum by (namespace) (increase(weft_workflows_started_total{{{INSTANCE},{NS}}}[1h]))"
          f' - sum by (namespace) (increase(weft_workflows_closed_total{{{INSTANCE},{NS},outcome="completed"}}[1h]))',
          "{{namespace}}")],
        "none", "Runs started in the last hour minus runs completed in it. Steady: work keeps up. "
        "Growing: runs pile up (slow workers, failures, or long-running workflows).",
        min_zero=False), 12, 8))

    p.append(layout.row("Activities"))
    p.append(layout.place(timeseries(
        "Attempts by activity type",
        [(f"sum by (activity_type) (rate(weft_activity_attempts_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{activity_type}}")],
        "ops", "Activity attempts (first tries and retries) per second."), 8, 8))
    p.append(layout.place(timeseries(
        "Failures by activity type",
        [(f"sum by (activity_type) (rate(weft_activity_failures_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{activity_type}}")],
        "ops", "Attempts that failed or timed out per second; the server retries them under the "
        "activity's retry policy."), 8, 8))
    p.append(layout.place(timeseries(
        "Failure ratio by activity type",
        [(f"sum by (activity_type) (rate(weft_activity_failures_total{{{INSTANCE},{NS}}}[$__rate_interval]))"
          f" / sum by (activity_type) (rate(weft_activity_attempts_total{{{INSTANCE},{NS}}}[$__rate_interval]))",
          "{{activity_type}}")],
        "percentunit", "Share of attempts that failed. Alert: above 50% for 15 minutes."), 8, 8))

    p.append(layout.row("Circuit breakers"))
    p.append(layout.place(timeseries(
        "Breaker state by activity type",
        [(f"max by (namespace, activity_type, task_queue) (weft_circuit_breaker_state{{{INSTANCE},{NS},activity_type!=\"\"}})",
          "{{namespace}} {{activity_type}} {{task_queue}}")],
        "none", "Server-side circuit breakers: 0 closed, 1 open (attempts held), 2 half-open "
        "(probes decide). `weft breaker describe --activity-type T` shows why."), 8, 8))
    p.append(layout.place(timeseries(
        "Held attempts",
        [(f"sum by (activity_type) (weft_circuit_breaker_held_attempts{{{INSTANCE},{NS},activity_type!=\"\"}})",
          "{{activity_type}}")],
        "none", "Activity attempts an open breaker holds back: not failed, not counted against "
        "the retry policy; they go when the breaker closes."), 8, 8))
    p.append(layout.place(timeseries(
        "Rejected dispatches and transitions",
        [(f"sum by (activity_type) (rate(weft_circuit_breaker_rejected_dispatches_total{{{INSTANCE},{NS},activity_type!=\"\"}}[$__rate_interval]))",
          "rejected {{activity_type}}"),
         (f"sum by (activity_type, to) (rate(weft_circuit_breaker_transitions_total{{{INSTANCE},{NS},activity_type!=\"\"}}[$__rate_interval]))",
          "to {{to}} {{activity_type}}")],
        "ops", "Dispatches a breaker refused (the attempt was held) and state changes per second."),
        8, 8))
    return p


def workers(layout):
    sel = f"{WORKER},{NS},{TQ}"
    p = []
    p.append(layout.row("Task slots and polls"))
    p.append(layout.place(timeseries(
        "Task slots",
        [(f'sum by (kind, state) (weft_worker_task_slots{{{sel}}})', "{{kind}} {{state}}")],
        "none", "Tasks the workers run now (used) and could start on top (available), by kind. "
        "Available at zero with a backlog on the server: add workers or raise their concurrency."),
        8, 8))
    p.append(layout.place(timeseries(
        "Slot utilisation",
        [(f'sum by (kind) (weft_worker_task_slots{{{sel},state="used"}}) / '
          f'sum by (kind) (weft_worker_task_slots{{{sel}}})', "{{kind}}")],
        "percentunit", "Used share of the task slots, by kind. Near 100% for long: the workers are "
        "the bottleneck."), 8, 8))
    p.append(layout.place(timeseries(
        "Polls by result",
        [(f"sum by (kind, result) (rate(weft_worker_polls_total{{{sel}}}[$__rate_interval]))",
          "{{kind}} {{result}}")],
        "reqps", "Long polls returned per second: with a task, empty (the server's 60 s poll "
        "expired: idle workers), or an error (see RPC errors)."), 8, 8))
    p.append(layout.place(timeseries(
        "Poll wait",
        [(f"histogram_quantile({q}, sum by (kind, le) (rate(weft_worker_poll_latency_seconds_bucket"
          f"{{{sel}}}[$__rate_interval])))", f"{{{{kind}}}} p{int(q * 100)}") for q in (0.5, 0.99)],
        "s", "How long a poll waited for a task. Long: the workers have spare capacity. Near zero: "
        "tasks wait for the workers instead."), 12, 8))
    p.append(layout.place(timeseries(
        "RPC errors by method and code",
        [(f"sum by (method, code) (rate(weft_worker_rpc_errors_total{{{sel}}}[$__rate_interval]))",
          "{{method}} {{code}}")],
        "reqps", "Calls from the workers to the server that failed. UNAVAILABLE: the server is "
        "unreachable or restarting; NOT_FOUND on Respond*: the task timed out before the answer; "
        "RESOURCE_EXHAUSTED: rate limited."), 12, 8))

    p.append(layout.row("Workflow tasks"))
    p.append(layout.place(timeseries(
        "Workflow tasks by outcome",
        [(f"sum by (workflow_type, outcome) (rate(weft_worker_workflow_tasks_total{{{sel}}}[$__rate_interval]))",
          "{{workflow_type}} {{outcome}}")],
        "ops", "Workflow tasks answered per second: completed (commands sent) or failed (the "
        "server retries the task)."), 12, 8))
    p.append(layout.place(timeseries(
        "Non-determinism errors",
        [(f"sum by (workflow_type) (increase(weft_worker_nondeterminism_errors_total{{{sel}}}[$__rate_interval]))",
          "{{workflow_type}}")],
        "none", "Workflow tasks failed because the code no longer matches the recorded history "
        "(a deploy changed the workflow without ctx.GetVersion). The runs are stuck until the "
        "code is fixed or rolled back. Alert: WeftWorkerNondeterminismErrors."), 12, 8))
    p.append(layout.place(timeseries(
        "Workflow task execution p99",
        [(f"histogram_quantile(0.99, sum by (workflow_type, le) (rate("
          f"weft_worker_workflow_task_execution_seconds_bucket{{{sel}}}[$__rate_interval])))",
          "{{workflow_type}}")],
        "s", "Time to answer a workflow task (replay, the new code, fetching history on a cache "
        "miss). It must stay well under the workflow task timeout (10 s by default)."), 12, 8))
    p.append(layout.place(timeseries(
        "Replay time p99",
        [(f"histogram_quantile(0.99, sum by (workflow_type, le) (rate("
          f"weft_worker_workflow_task_replay_seconds_bucket{{{sel}}}[$__rate_interval])))",
          "{{workflow_type}}")],
        "s", "Time spent replaying recorded history before a task's new code ran. Grows with "
        "history length when runs are not cached (sticky cache misses, small cache): consider "
        "continue-as-new for long histories."), 12, 8))

    p.append(layout.row("Activities"))
    p.append(layout.place(timeseries(
        "Activities by outcome",
        [(f"sum by (activity_type, outcome) (rate(weft_worker_activities_total{{{sel}}}[$__rate_interval]))",
          "{{activity_type}} {{outcome}}")],
        "ops", "Activity attempts finished per second in the workers: completed, failed (the "
        "server retries under the retry policy) or canceled."), 8, 8))
    p.append(layout.place(timeseries(
        "Activity execution p99",
        [(f"histogram_quantile(0.99, sum by (activity_type, le) (rate("
          f"weft_worker_activity_execution_seconds_bucket{{{sel}}}[$__rate_interval])))",
          "{{activity_type}}")],
        "s", "How long an activity attempt ran in the worker; compare with its start-to-close "
        "timeout."), 8, 8))
    p.append(layout.place(timeseries(
        "Schedule-to-start p99",
        [(f"histogram_quantile(0.99, sum by (activity_type, le) (rate("
          f"weft_worker_activity_schedule_to_start_seconds_bucket{{{sel}}}[$__rate_interval])))",
          "{{activity_type}}")],
        "s", "How long attempts waited in the task queue before a worker took them (the server's "
        "timestamps). Rising: too few activity slots."), 8, 8))

    p.append(layout.row("Sticky cache"))
    p.append(layout.place(timeseries(
        "Cached runs",
        [(f"sum by (instance, task_queue) (weft_worker_sticky_cache_size{{{sel}}})",
          "{{instance}} {{task_queue}}")],
        "none", "Workflow runs kept in memory for sticky execution (bounded by "
        "max_cached_workflows)."), 8, 8))
    p.append(layout.place(timeseries(
        "Cache hit ratio",
        [(f"sum(rate(weft_worker_sticky_cache_hits_total{{{sel}}}[$__rate_interval])) / "
          f"(sum(rate(weft_worker_sticky_cache_hits_total{{{sel}}}[$__rate_interval])) + "
          f"sum(rate(weft_worker_sticky_cache_misses_total{{{sel}}}[$__rate_interval])))", "hit ratio")],
        "percentunit", "Share of partial-history tasks continued from the cache. A miss fetches "
        "and replays the whole history."), 8, 8))
    p.append(layout.place(timeseries(
        "Cache evictions",
        [(f"sum by (instance) (rate(weft_worker_sticky_cache_evictions_total{{{sel}}}[$__rate_interval]))",
          "{{instance}}")],
        "ops", "Runs pushed out of a full cache per second. Steady evictions: raise "
        "max_cached_workflows (memory permitting)."), 8, 8))
    return p


DASHBOARDS = {
    "weft-overview.json": ("weft-overview", "weft / Overview",
                           "Is weft healthy: availability, errors, latency, throughput, backlog.", overview),
    "weft-history-persistence.json": ("weft-history", "weft / History & persistence",
                                      "Group commit, write latency and disk.", history),
    "weft-task-queues.json": ("weft-task-queues", "weft / Task queues",
                              "Backlogs, pollers and dispatch.", task_queues),
    "weft-workflows-activities.json": ("weft-workflows", "weft / Workflows & activities",
                                       "Workflow outcomes and activity attempts and failures.", workflows),
    "weft-workers.json": ("weft-workers", "weft / Workers",
                          "The worker processes' own metrics: slots, polls, task and replay times, "
                          "activities, sticky cache.", workers, True),
}


def render():
    """Returns {file name: JSON text} for every dashboard."""
    return {
        name: json.dumps(dashboard(*spec), indent=2, sort_keys=True) + "\n"
        for name, spec in DASHBOARDS.items()
    }


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")
    os.makedirs(out_dir, exist_ok=True)
    for name, text in render().items():
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {os.path.join(out_dir, name)}", file=sys.stderr)


if __name__ == "__main__":
    main()
