"""The privacy notice's versions (DSR-10): a change of a purpose in the inventory
records a new version, tells each school's administrators what changed (a notice on
the school's page, dismissable, and an email), and every earlier version stays
readable with its dates."""

import dataclasses

from django.core import mail
from django.core.management import call_command

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.inventory import REGISTRY, Declaration
from markbook.privacy.models import NoticeAlert, NoticeVersion
from markbook.privacy.notices import notice_diff, notice_publish, notice_rows


def _with_purpose(label: str, field: str, purpose: str) -> dict[str, Declaration]:
    """A copy of the real inventory with one field's purpose changed."""
    registry = dict(REGISTRY)
    declaration = registry[label]
    personal = dict(declaration.personal)
    personal[field] = dataclasses.replace(personal[field], purpose=purpose)
    registry[label] = dataclasses.replace(declaration, personal=personal)
    return registry


def test_changing_a_purpose_publishes_a_version_and_tells_each_school(world, client_for):
    """DSR-10: the first publication tells no one; a changed purpose is a new version,
    the old one superseded; every school gets a notice and its administrators an
    email naming what changed; the school's page shows it until dismissed."""
    first = notice_publish()
    assert notice_publish().created is False  # unchanged: nothing new
    mail.outbox.clear()
    changed = _with_purpose("rosters.Pupil", "email", "to send pupils their homework reminders")
    published = notice_publish(registry=changed)
    assert published.created and published.schools_told == 2
    old = NoticeVersion.objects.get(pk=first.version.pk)
    assert old.superseded_at == published.version.published_at
    lines = [c.line() for c in published.changes]
    assert len(lines) == 1 and "why it is held" in lines[0]
    assert "homework reminders" in lines[0]
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["admin@birchwood.sch.uk", "admin@oakfield.sch.uk"]
    assert "homework reminders" in mail.outbox[0].body
    with school_scope(world.a):
        alert = NoticeAlert.objects.get()
        assert alert.previous_id == old.pk and alert.told_admins == 1
        assert AuditEvent.objects.filter(action="privacy.notice.published").exists()
    home = client_for("admin").get(f"/s/{world.a.pk}/").content.decode()
    assert "privacy notice changed" in home and "homework reminders" in home
    assert (
        "homework reminders" not in client_for("teacher").get(f"/s/{world.a.pk}/").content.decode()
    )
    dismissed = client_for("admin").post(
        f"/s/{world.a.pk}/privacy/notice-changes/{alert.pk}/dismiss/"
    )
    assert dismissed.status_code == 302
    assert "homework reminders" not in client_for("admin").get(f"/s/{world.a.pk}/").content.decode()
    # Another school's administrator cannot dismiss School A's notice.
    assert (
        client_for("other_admin")
        .post(f"/s/{world.a.pk}/privacy/notice-changes/{alert.pk}/dismiss/")
        .status_code
        == 404
    )


def test_every_version_stays_readable_with_its_dates(world, client):
    """DSR-10: the versions page lists each with its dates; an old version reads as it
    was published, with the purpose it stated then."""
    first = notice_publish(registry=_with_purpose("rosters.Pupil", "email", "an old purpose"))
    second = notice_publish(registry=_with_purpose("rosters.Pupil", "email", "a new purpose"))
    listing = client.get("/privacy/versions/").content.decode()
    assert f"/privacy/versions/{first.version.pk}/" in listing
    assert f"/privacy/versions/{second.version.pk}/" in listing
    old = client.get(f"/privacy/versions/{first.version.pk}/").content.decode()
    assert "An old purpose" in old and "A new purpose" not in old and "until" in old
    new = client.get(f"/privacy/versions/{second.version.pk}/").content.decode()
    assert "A new purpose" in new
    assert client.get("/privacy/versions/999999/").status_code == 404


def test_diff_names_added_removed_and_changed_items():
    """DSR-10: the summary says what was added, what is no longer held, what changed."""
    rows = notice_rows()
    changed = [dict(r) for r in rows[1:]]
    changed[0]["retention"] = "one week"
    changed.append({**rows[0], "key": "new.thing", "what": "a new thing"})
    kinds = [(c.kind, c.what) for c in notice_diff(rows, changed)]
    assert ("added", "a new thing") in kinds
    assert ("removed", rows[0]["what"]) in kinds
    assert ("changed", rows[1]["what"]) in kinds


def test_the_command_publishes_and_reports(world, capsys):
    """DSR-10: `markbook privacy_notice_publish` says whether anything changed."""
    notice_publish(registry=_with_purpose("rosters.Pupil", "email", "something else"))
    call_command("privacy_notice_publish")
    out = capsys.readouterr().out
    assert "Published the privacy notice" in out and "Told 2 schools" in out
    call_command("privacy_notice_publish")
    assert "unchanged" in capsys.readouterr().out
