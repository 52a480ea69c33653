import datetime as dt

from terminvergabe.booking import codes, operations

BERLIN_10 = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Berlin


def selection(office, *pairs):
    by_name = {s.name: s.id for s in office.services}
    return {by_name[name]: qty for name, qty in pairs}


def test_booking_code_and_tokens(office, now):
    appointment = operations.hold(
        office, selection(office, ("Reisepass beantragen", 1)), BERLIN_10, now
    )
    assert len(appointment.booking_code) == codes.CODE_LENGTH
    assert set(appointment.booking_code) <= set(codes.CODE_ALPHABET)
    assert not set("0O1IL2Z5S8B") & set(codes.CODE_ALPHABET)
    assert len(appointment.manage_token) * 6 >= 128  # url-safe base64: 6 bits a character
    assert appointment.manage_token != appointment.checkin_token
    assert codes.find_by_manage_token(appointment.manage_token) is appointment
    assert codes.find_by_manage_token(appointment.manage_token[:-1] + "x") in (None,)
    assert codes.find_by_manage_token(appointment.checkin_token) is None
    assert codes.find_by_manage_token(str(appointment.id)) is None
    typed = codes.format_booking_code(appointment.booking_code).lower().replace("-", " - ")
    assert codes.find_by_booking_code(office, typed) is appointment


def test_checkin_token_finds_only_by_the_checkin_token(office, now):
    appointment = operations.hold(
        office, selection(office, ("Reisepass beantragen", 1)), BERLIN_10, now
    )
    assert codes.find_by_checkin_token(appointment.checkin_token) is appointment
    assert codes.find_by_checkin_token(appointment.manage_token) is None
    assert codes.find_by_checkin_token(appointment.checkin_token[:-1] + "x") is None
    assert codes.find_by_checkin_token(appointment.checkin_token + "\x00") is None
    assert codes.find_by_checkin_token("") is None
