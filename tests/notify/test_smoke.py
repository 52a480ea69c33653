from terminvergabe.notify import sender
from terminvergabe.notify.models import OutboxMessage

from .conftest import book


def test_confirmation_arrives(smtp, mail_office, now):
    appointment = book(mail_office, now)
    assert OutboxMessage.query.count() == 1
    report = sender.send_due(lambda: now)
    assert report.sent == 1, report
    [message] = smtp.inbox.messages
    print(message)
    assert appointment.booking_code
