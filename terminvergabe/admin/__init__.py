"""Office administration, the office calendar, statistics and data protection.

Public hooks for other packages:
- `terminvergabe.admin.audit.record(actor, action, appointment, **details)` writes the audit log;
- `terminvergabe.admin.privacy.register(anonymiser, eraser=...)` adds a table to the retention
  job; `privacy.job(now)` runs under the scheduler (idempotent, commits).
"""


def init_app(app) -> None:
    from terminvergabe.admin import audit, cli, models, privacy, retention, views  # noqa: F401

    app.config.setdefault("RETENTION_DAYS", privacy.DEFAULT_RETENTION_DAYS)
    app.config.setdefault("RETENTION_INTERVAL_SECONDS", 3600)
    app.jinja_env.add_extension("jinja2.ext.do")  # form macros collect field ids
    app.jinja_env.globals.update(audit_action=audit.action_label, audit_details=audit.describe)
    app.register_blueprint(views.bp)
    cli.init_app(app)
    retention.register_known_tables()
    _schedule(app, privacy.job)


def _schedule(app, job) -> None:
    """Run the retention job under the notify package's scheduler (one process, idempotent)."""
    try:
        from terminvergabe.notify import scheduler
    except ImportError:
        return
    register = getattr(scheduler, "register_job", None)
    if register is not None:
        register(app, "anonymise", job, app.config["RETENTION_INTERVAL_SECONDS"])
