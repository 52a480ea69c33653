from terminvergabe.auth import operations
from terminvergabe.auth.models import Device, DeviceKind
from terminvergabe.db import db


def test_device_token_is_stored_hashed_and_found(office, now):
    device, token = operations.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    db.session.commit()
    assert len(token) >= 43  # 256 bits, URL-safe
    assert db.session.get(Device, device.id).token_hash != token
    assert token not in device.token_hash
    assert operations.find_device(token) == device
    assert operations.find_device(token, DeviceKind.DISPLAY) == device


def test_wrong_kind_or_token_is_refused(office, now):
    _, token = operations.create_device(office, DeviceKind.KIOSK, "Eingang", now)
    assert operations.find_device(token, DeviceKind.DISPLAY) is None
    assert operations.find_device(token[:-1]) is None
    assert operations.find_device("") is None
    assert operations.find_device("x" * 1000) is None


def test_revoked_device_is_refused(office, now):
    device, token = operations.create_device(office, DeviceKind.DISPLAY, "Wartebereich", now)
    operations.revoke_device(device, now)
    db.session.commit()
    assert operations.find_device(token) is None


def test_cli_creates_staff_and_devices(app_ctx, office):
    runner = app_ctx.test_cli_runner()
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--login",
            "desk1",
            "--name",
            "Desk",
            "--role",
            "front_desk",
            "--office",
            office.slug,
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert operations.authenticate("desk1", "a long password") is not None
    result = runner.invoke(
        args=["device", "create", "--office", office.slug, "--kind", "display", "--name", "TV"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().rsplit("/", 1)[1]
    device = operations.find_device(token, DeviceKind.DISPLAY)
    assert device is not None
    result = runner.invoke(args=["device", "revoke", str(device.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert operations.find_device(token) is None
