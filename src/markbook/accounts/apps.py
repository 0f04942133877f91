from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from markbook.accounts.sessions import remember_sign_in

        # ACC-6: a school's suspension ends the sessions signed in before it.
        user_logged_in.connect(remember_sign_in, dispatch_uid="markbook_signed_in_at")
