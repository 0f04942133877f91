"""Model fields encrypted with the owning school's data key (SEC-2).

The column holds AES-GCM ciphertext; the attribute holds plaintext, decrypted on
first access with `instance.school_id`. Plaintext can never reach the database:
`get_prep_value` refuses anything that `pre_save` has not encrypted (so an
accidental `bulk_update` or filter on the field fails loudly instead of leaking).
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core import validators
from django.db import models

from markbook.core import keys


class Ciphertext(str):
    """A value read from, or prepared for, an encrypted column."""


class _Plaintext:
    def __init__(self, field: "EncryptedTextField") -> None:
        self.field = field

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:
            instance.refresh_from_db(fields=[name])
        value = instance.__dict__[name]
        if isinstance(value, Ciphertext):
            value = self.field.decode(keys.decrypt(instance.school_id, value, self.field.context))
            instance.__dict__[name] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text value (a code, a note) stored encrypted with the school's key.

    `max_length` limits the plaintext and, unlike Django's TextField, is enforced by
    model validation (clean_fields), so services refuse an over-long value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def contribute_to_class(self, cls: type, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _Plaintext(self))

    @property
    def context(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    def encode(self, value: Any) -> str:
        return str(value)

    def decode(self, value: str) -> Any:
        return value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else Ciphertext(value)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None or value == "":
            return None
        return Ciphertext(keys.encrypt(model_instance.school_id, self.encode(value), self.context))

    def load_plaintext(self, instances: Iterable[Any]) -> None:
        """Decrypt this field of many instances at once (each school's key looked up once),
        as reading the attribute of each would."""
        decrypters: dict[int, Callable[[str], str]] = {}
        for instance in instances:
            value = instance.__dict__.get(self.attname)
            if isinstance(value, Ciphertext):
                decrypt = decrypters.get(instance.school_id)
                if decrypt is None:
                    decrypt = decrypters[instance.school_id] = keys.decrypter(
                        instance.school_id, self.context
                    )
                instance.__dict__[self.attname] = self.decode(decrypt(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return value
        raise ValueError(f"{self.context} is encrypted: plaintext cannot be written or queried")

    def to_python(self, value: Any) -> Any:
        return value

    def formfield(self, **kwargs: Any) -> Any:
        return None  # forms declare their own fields for these values


class EncryptedBooleanField(EncryptedTextField):
    """A yes/no value (FSM, disadvantaged) stored encrypted; None means not recorded.
    Not free text: it needs no max_length."""

    def encode(self, value: Any) -> str:
        return "1" if value else "0"

    def decode(self, value: str) -> Any:
        return value == "1"
