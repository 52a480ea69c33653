"""Office administration, the office calendar, statistics and data protection.

Public hooks for other packages:
- `terminvergabe.admin.audit.record(actor, action, appointment, **details)` writes the audit log;
- `terminvergabe.admin.privacy.register(anonymiser, eraser=...)` adds a table to the retention
  job; `privacy.run_scheduled()` is the job for the scheduler (idempotent, commits).
"""


def init_app(app) -> None:
    from terminvergabe.admin import cli, models, privacy, views  # noqa: F401  (tables)

    app.config.setdefault("RETENTION_DAYS", privacy.DEFAULT_RETENTION_DAYS)
    app.jinja_env.add_extension("jinja2.ext.do")  # form macros collect field ids
    app.register_blueprint(views.bp)
    cli.init_app(app)
