"""Office administration, the office calendar, statistics and data protection.

Public hooks for other packages:
- `terminvergabe.audit.record(actor, action, appointment, **details)` writes the audit log;
- `terminvergabe.admin.privacy.register(anonymiser, eraser=...)` adds a table to the retention
  job; `privacy.job(now)` runs under the scheduler (idempotent, commits).
"""

from terminvergabe import audit  # noqa: F401  (the audit table, known to migrations)
from terminvergabe.admin import audit_log, cli, privacy, retention, views
from terminvergabe.notify import scheduler


def init_app(app) -> None:
    app.config.setdefault("RETENTION_DAYS", privacy.DEFAULT_RETENTION_DAYS)
    app.config.setdefault("RETENTION_INTERVAL_SECONDS", 3600)
    app.jinja_env.add_extension("jinja2.ext.do")  # form macros collect field ids
    app.jinja_env.globals.update(
        audit_action=audit_log.action_label,
        audit_actor=audit_log.actor_label,
        audit_details=audit_log.describe,
    )
    app.register_blueprint(views.bp)
    cli.init_app(app)
    retention.register_known_tables()
    # The retention job runs under the scheduler (one process, idempotent).
    scheduler.register_job(app, "anonymise", privacy.job, app.config["RETENTION_INTERVAL_SECONDS"])
