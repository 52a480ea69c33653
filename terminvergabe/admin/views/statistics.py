"""Statistics of an office for a range of days, as a page with charts and as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from terminvergabe.admin import charts, forms, stats
from terminvergabe.admin.views.common import bp, get_office, manager_required
from terminvergabe.time import local_date, now


def period_form(zone):
    """The period asked for, or the last 30 days when none is (other arguments, such as the
    language, do not count as asking)."""
    form = forms.PeriodForm(request.args)
    if "first" not in request.args and "last" not in request.args:
        today = local_date(now(), zone)
        form.first.data, form.last.data = today - dt.timedelta(days=30), today
        return form, True
    return form, form.validate()


def _period(office):
    return period_form(office.zone)


@bp.route("/<int:office_id>/statistics")
@manager_required
def statistics(office_id):
    office = get_office(office_id)
    form, valid = _period(office)
    report = stats.report(office, form.first.data, form.last.data, now()) if valid else None
    return render_template(
        "admin/statistics.html",
        office=office,
        form=form,
        report=report,
        charts=_charts(report) if report else {},
        bin_labels=stats.bin_labels(),
    ), (200 if valid else 422)


def _charts(report) -> dict:
    labels = stats.bin_labels()
    return {
        "waiting": charts.bar_chart(
            _("Waiting time (arrival to call), minutes"),
            labels,
            report.waiting.overall.bins,
            chart_id="waiting",
        ),
        "service_time": charts.bar_chart(
            _("Service time (start to finish), minutes"),
            labels,
            report.service_time.overall.bins,
            chart_id="service-time",
        ),
        "waiting_by_hour": charts.bar_chart(
            _("Average waiting time by hour of arrival, minutes"),
            [f"{hour:02d}:00" for hour in report.waiting.by_hour],
            [round(d.mean or 0, 1) for d in report.waiting.by_hour.values()],
            chart_id="waiting-by-hour",
        ),
        "utilisation": charts.bar_chart(
            _("Counter utilisation, percent"),
            [u.counter.name for u in report.utilisation],
            [round(100 * (u.ratio or 0), 1) for u in report.utilisation],
            unit=" %",
            chart_id="utilisation",
            office_labels=True,
        ),
    }


@bp.route("/<int:office_id>/statistics.csv")
@manager_required
def statistics_csv(office_id):
    office = get_office(office_id)
    form, valid = _period(office)
    if not valid:
        abort(400)
    report = stats.report(office, form.first.data, form.last.data, now())
    out = io.StringIO()
    _write_csv(csv.writer(out), report)
    name = f"statistics-{office.slug}-{form.first.data}-{form.last.data}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _write_csv(writer, report) -> None:
    writer.writerow(["section", "key", "count", "mean_minutes", *stats.bin_labels()])
    counts = report.counts
    for key in ("booked", "cancelled", "no_shows", "done", "walk_ins"):
        writer.writerow(["totals", key, getattr(counts, key), "", *[""] * len(stats.BINS), ""])
    for day, tally in counts.by_day.items():
        for key, value in sorted(tally.items()):
            writer.writerow([f"day:{key}", day.isoformat(), value, ""])
    for section, durations in (("waiting", report.waiting), ("service_time", report.service_time)):
        for service_id, dist in durations.by_service.items():
            name = report.services[service_id].name if service_id in report.services else service_id
            writer.writerow([f"{section}:service", name, dist.count, _round(dist.mean), *dist.bins])
        for hour, dist in durations.by_hour.items():
            writer.writerow(
                [f"{section}:hour", f"{hour:02d}", dist.count, _round(dist.mean), *dist.bins]
            )
    for u in report.utilisation:
        writer.writerow(
            ["utilisation", u.counter.name, round(u.booked_minutes), round(u.staffed_minutes)]
        )


def _round(value):
    return "" if value is None else round(value, 1)
