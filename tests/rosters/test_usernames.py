"""ACC-3: every way a pupil is added names them by one rule (pupil_username_generate):
the name in ASCII lower case, then a number from 2 when it is taken in the school."""

from markbook.core.validators import upn_check_letter
from markbook.rosters import services
from markbook.rosters.bulk import NewPupil, RosterLoad, roster_load
from markbook.rosters.imports.mis import mis_import
from markbook.rosters.models import Pupil
from tests.conftest import World


def _upn(serial: int) -> str:
    body = f"8012000270{serial:02d}"
    return upn_check_letter(body) + body


def _one_by_one(world: World, first: str, last: str) -> str:
    pupil = services.pupil_create(
        actor=world.admin, school=world.a, first_name=first, last_name=last, year_group="8"
    )
    return pupil.username


def _in_bulk(world: World, first: str, last: str) -> str:
    load = RosterLoad(pupils=[NewPupil(first, last, "8")])
    [pupil] = roster_load(actor=world.admin, school=world.a, load=load).pupils
    return pupil.username


def _from_the_mis(world: World, first: str, last: str, serial: int) -> str:
    upn = _upn(serial)
    data = f"Legal Surname,Forename,UPN,Admission No,Year Group\n{last},{first},{upn},M{serial},8\n"
    result = mis_import(
        actor=world.admin, school=world.a, data=data.encode(), filename="mis.csv", confirm=True
    )
    assert result.ok and result.applied, result.errors
    return Pupil.objects.get(upn=upn).username


def test_pages_bulk_load_and_mis_import_name_pupils_by_the_same_rule(in_a: World):
    # amy.adams is in the world already.
    made = [
        _one_by_one(in_a, "Amy", "Adams"),
        _in_bulk(in_a, "Amy", "Adams"),
        _from_the_mis(in_a, "Amy", "Adams", 1),
    ]
    assert made == ["amy.adams2", "amy.adams3", "amy.adams4"]
    made = [
        _from_the_mis(in_a, "Zoë", "O'Neil-Smith", 2),
        _in_bulk(in_a, "Zoë", "O'Neil-Smith"),
        _one_by_one(in_a, "Zoë", "O'Neil-Smith"),
    ]
    assert made == ["zoe.oneil-smith", "zoe.oneil-smith2", "zoe.oneil-smith3"]


def test_a_pupil_known_only_by_a_pseudonym_is_named_after_it(in_a: World):
    pupil = services.pupil_create(
        actor=in_a.admin,
        school=in_a.a,
        first_name="",
        last_name="",
        pseudonym="Pupil K7",
        year_group="8",
    )
    load = RosterLoad(pupils=[NewPupil("", "", "8", pseudonym="Pupil K7")])
    [bulk] = roster_load(actor=in_a.admin, school=in_a.a, load=load).pupils
    assert (pupil.username, bulk.username) == ("pupil-k7", "pupil-k72")
