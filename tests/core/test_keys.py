"""SEC-2: sensitive pupil fields are encrypted at rest with the school's own key;
RET-5: destroying the key makes the data unreadable."""

import pytest
from django.db import connection, transaction

from markbook.core import keys
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests.factories import PupilFactory


def _raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM rosters_pupil WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_sensitive_fields_are_ciphertext_in_the_database(world):
    with school_scope(world.a):
        p = PupilFactory(school=world.a, fsm=True, ethnicity="WBRI", sen_provision="K")
        assert _raw("ethnicity", p.pk).startswith("v1:")
        assert "WBRI" not in _raw("ethnicity", p.pk)
        fresh = Pupil.objects.get(pk=p.pk)
        assert (fresh.fsm, fresh.ethnicity, fresh.sen_provision) == (True, "WBRI", "K")


def test_schools_have_different_keys(world):
    with school_scope([world.a, world.b]):
        pa = PupilFactory(school=world.a, ethnicity="WBRI")
        token = _raw("ethnicity", pa.pk)
        with pytest.raises(Exception):  # noqa: B017 - AES-GCM InvalidTag
            keys.decrypt(world.b.pk, token, "rosters.Pupil.ethnicity")
        assert keys.decrypt(world.a.pk, token, "rosters.Pupil.ethnicity") == "WBRI"


def test_ciphertext_cannot_be_moved_to_another_column(world):
    with school_scope(world.a):
        p = PupilFactory(school=world.a, ethnicity="WBRI")
        with pytest.raises(Exception):  # noqa: B017
            keys.decrypt(world.a.pk, _raw("ethnicity", p.pk), "rosters.Pupil.sen_need")


def test_destroyed_key_makes_data_unreadable(world):
    with school_scope(world.a):
        p = PupilFactory(school=world.a, ethnicity="WBRI")
        keys.school_key_destroy(school_id=world.a.pk)
        with pytest.raises(keys.KeyDestroyed):
            Pupil.objects.get(pk=p.pk).ethnicity  # noqa: B018


def test_plaintext_never_reaches_the_column(world):
    with school_scope(world.a):
        p = PupilFactory(school=world.a)
        p.ethnicity = "WBRI"
        # A savepoint, so the refused write leaves the test's transaction usable (PostgreSQL).
        with pytest.raises(ValueError, match="encrypted"), transaction.atomic():
            Pupil.objects.bulk_update([p], ["ethnicity"])
        with pytest.raises(ValueError, match="encrypted"):
            Pupil.objects.filter(ethnicity="WBRI").count()


def test_bulk_encrypter_output_is_what_decrypt_reads_with_a_fresh_nonce_each_time(world):
    context = "rosters.Pupil.ethnicity"
    with school_scope(world.a):
        encrypt = keys.encrypter(world.a.pk, context)
        tokens = [encrypt("WBRI") for _ in range(1200)]  # more than one pool of nonces
        assert {keys.decrypt(world.a.pk, t, context) for t in tokens} == {"WBRI"}
        assert len({t[:19] for t in tokens}) == 1200  # "v1:" + the nonce, never repeated
        decrypt = keys.decrypter(world.a.pk, context)
        assert decrypt(keys.encrypt(world.a.pk, "ABAN", context)) == "ABAN"
        with pytest.raises(Exception):  # noqa: B017 - AES-GCM InvalidTag
            keys.decrypter(world.a.pk, "rosters.Pupil.sen_need")(tokens[0])
        with pytest.raises(ValueError, match="not a Markbook ciphertext"):
            decrypt("WBRI")
