"""Views of export results, job results and rehearsal reports (HTML and plain text)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from .html import badge, card, fit, table, text_table
from .registry import view

if TYPE_CHECKING:
    from ..export.rehearsal import RehearsalReport
    from ..export.runner import JobResult
    from ..export.spec import ExportResult

MAX_ROWS = 50


@view("mlops_jupyter.export.spec.ExportResult", "text")
def export_text(res: ExportResult) -> str:
    """Plain text of an :class:`~mlops_jupyter.export.spec.ExportResult`."""
    spec = res.spec
    lines = [
        f"job '{spec['name']}' exported to {res.job_dir} ({spec['mode']} mode, target {spec['target']})",
        f"digest {spec['digest']}",
        f"source run: {spec['source'].get('run_id') or 'none'}; expected metrics: {len(spec['expected_metrics'])}",
    ]
    if spec["parameters"]:
        lines.append("parameters: " + ", ".join(f"{k}: {v['type']} = {v['default']!r}" for k, v in spec["parameters"].items()))
    lines += [f"  {name:22} {desc}" for name, desc in res.files.items()]
    lines += [f"note: {n}" for n in res.notes]
    lines += [f"warning: {w}" for w in getattr(res, "warnings", [])]
    if res.rehearsal is not None:
        lines += ["", str(res.rehearsal)]
    return fit("\n".join(lines))


@view("mlops_jupyter.export.spec.ExportResult", "html")
def export_html(res: ExportResult) -> str:
    spec = res.spec
    rows = [(name, desc) for name, desc in res.files.items()]
    params = [(k, v["type"], repr(v["default"])) for k, v in list(spec["parameters"].items())[:MAX_ROWS]]
    body = (
        f"<p>{badge('exported', 'mlops-ok')} <code>{escape(str(res.job_dir))}</code> · "
        f"{escape(spec['mode'])} mode · target {escape(str(spec['target']))} · "
        f"source run <code>{escape(str(spec['source'].get('run_id') or 'none'))}</code></p>"
        + table(["file", "what"], rows)
    )
    if params:
        body += "<p>Parameters</p>" + table(["name", "type", "default"], params)
    if res.notes:
        body += "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in res.notes[:MAX_ROWS]) + "</ul>"
    warnings = getattr(res, "warnings", [])
    if warnings:
        body += ("<ul class='mlops-warnings'>"
                 + "".join(f"<li>{badge('warning', 'mlops-warn')} {escape(w)}</li>" for w in warnings[:MAX_ROWS])
                 + "</ul>")
    if res.rehearsal is not None:
        body += rehearsal_html(res.rehearsal, framed=False)
    return card(f"Job {spec['name']}", body)


def _gate_rows(result: JobResult) -> list[tuple[str, str, str, str]]:
    return [(g.kind, g.name, ("pass" if g.ok else "fail") if g.enforced else ("ok" if g.ok else "warn"), g.detail)
            for g in result.gates[:MAX_ROWS]]


@view("mlops_jupyter.export.runner.JobResult", "text")
def job_text(result: JobResult) -> str:
    """Plain text of a :class:`~mlops_jupyter.export.runner.JobResult`."""
    verdict = "OK" if result.ok else "FAILED"
    lines = [f"job '{result.name}' {verdict} (exit {result.exit_code}) in {result.seconds:.1f} s, profile {result.profile}"]
    if result.params:
        lines.append("parameters: " + ", ".join(f"{k}={v!r}" for k, v in result.params.items()))
    if result.env_diff:
        lines.append(f"environment differs from the pinned one in {len(result.env_diff)} package(s):")
        lines += [f"  {d['package']}: pinned {d['pinned']}, installed {d['installed']}" for d in result.env_diff[:20]]
    for d in result.data:
        lines.append(f"data {d['path']}: {d['status']}")
    lines.append(text_table(["gate", "name", "verdict", "detail"], _gate_rows(result)))
    if result.run_ids:
        lines.append("runs: " + ", ".join(result.run_ids))
    if result.executed:
        lines.append(f"output: {result.executed}")
    return fit("\n".join(lines))


@view("mlops_jupyter.export.runner.JobResult", "html")
def job_html(result: JobResult) -> str:
    head = badge("passed" if result.ok else "failed")
    body = f"<p>{head} exit {result.exit_code} · {result.seconds:.1f} s · profile {escape(result.profile)}</p>"
    if result.env_diff:
        body += "<p>Environment differences</p>" + table(
            ["package", "pinned", "installed"], [(d["package"], d["pinned"], d["installed"]) for d in result.env_diff[:MAX_ROWS]])
    rows = [(g[0], g[1], badge(g[2]), g[3]) for g in _gate_rows(result)]
    body += table(["gate", "name", "verdict", "detail"], rows, raw_html_cols={2})
    return card(f"Job {result.name}", body)


def _metric_rows(report: RehearsalReport) -> list[tuple[Any, ...]]:
    return [(m["metric"], m["source"], m["job"], m["rel_tol"],
             ("ok (unreliable)" if m.get("unreliable") else "ok") if m["ok"] else "differs")
            for m in report.metrics[:MAX_ROWS]]


@view("mlops_jupyter.export.rehearsal.RehearsalReport", "text")
def rehearsal_text(report: RehearsalReport) -> str:
    """Plain text of a :class:`~mlops_jupyter.export.rehearsal.RehearsalReport`."""
    verdict = "reproduced" if report.reproduced else ("NOT reproduced" if report.compared else "not compared")
    lines = [f"rehearsal of {report.notebook}: {verdict} (source run {report.source_run_id or 'none'})"]
    if report.metrics:
        lines.append(text_table(["metric", "source", "job", "rel_tol", "verdict"], _metric_rows(report)))
    if report.out_of_order:
        lines.append("cells the source ran out of order:")
        lines += [f"  cell {o['cell']} (In[{o['execution_count']}] after In[{o['ran_after_count']}]): {o['preview']}"
                  for o in report.out_of_order[:20]]
    if report.packages:
        lines.append("packages that differ:")
        lines += [f"  {p['package']}: source {p['source']}, job {p['job']}" for p in report.packages[:20]]
    causes = getattr(report, "causes", [])
    if causes:
        from ..export.causes import describe

        lines.append("what can make the job differ from the notebook:")
        lines += [f"  {describe(c)}" for c in causes[:20]]
    if report.job is not None and report.job.error:
        lines.append(f"job error: {report.job.error}")
    lines += [f"note: {n}" for n in report.notes]
    return fit("\n".join(lines))


@view("mlops_jupyter.export.rehearsal.RehearsalReport", "html")
def rehearsal_html(report: RehearsalReport, framed: bool = True) -> str:
    if report.reproduced:
        head = badge("reproduced", "mlops-ok")
    elif report.compared:
        head = badge("not reproduced", "mlops-fail")
    else:
        head = badge("not compared", "mlops-warn")
    body = f"<p>{head} source run <code>{escape(str(report.source_run_id or 'none'))}</code></p>"
    if report.metrics:
        kinds = {"ok": "mlops-ok", "ok (unreliable)": "mlops-warn"}
        rows = [(*r[:4], badge(r[4], kinds.get(r[4], "mlops-fail"))) for r in _metric_rows(report)]
        body += table(["metric", "source", "job", "rel_tol", "verdict"], rows, raw_html_cols={4})
    if report.out_of_order:
        body += "<p>Cells the source ran out of order</p>" + table(
            ["cell", "In[]", "after In[]", "code"],
            [(o["cell"], o["execution_count"], o["ran_after_count"], o["preview"]) for o in report.out_of_order[:MAX_ROWS]])
    if report.packages:
        body += "<p>Packages that differ</p>" + table(
            ["package", "source", "job"], [(p["package"], p["source"], p["job"]) for p in report.packages[:MAX_ROWS]])
    causes = getattr(report, "causes", [])
    if causes:
        body += "<p>What can make the job differ from the notebook</p>" + table(
            ["cause", "cell", "line", "code", "why"],
            [(c["kind"], c["cell"], c["line"], c["call"], c["detail"]) for c in causes[:MAX_ROWS]])
    if report.notes:
        body += "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>"
    return card(f"Rehearsal of {report.notebook}", body) if framed else body
