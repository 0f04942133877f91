from django.db import models

from markbook.core.tenancy import SchoolScopedManager


class SchoolKey(models.Model):
    """A school's data key, wrapped (encrypted) under the deployment's master key.

    SEC-2: sensitive pupil fields are encrypted with it. RET-5: destroying it makes
    every copy of the school's encrypted data, backups included, unreadable.
    """

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="key")
    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedManager()


class Heartbeat(models.Model):
    """When a background part of Markbook last showed it is alive (the /health check).

    One row per component: "scheduler" (the hourly sweep run from cron) and "worker"
    (the task worker, `markbook db_worker`, running the heartbeat task the sweep
    enqueues). Platform bookkeeping: no school's data, nothing about a person.
    """

    component = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component} at {self.beat_at:%Y-%m-%d %H:%M}"


class PlatformKey(models.Model):
    """The platform's backup key, wrapped under the master key (SEC-5).

    One row. It encrypts the rows of a backup that belong to no school (trusts, the
    published notices, platform staff); unlike a key derived from the master key it
    survives a rotation of the master key (`markbook keys_rotate_master` re-wraps it).
    """

    wrapped_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
