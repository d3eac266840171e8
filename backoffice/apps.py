from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"

    def ready(self) -> None:
        from backoffice.admin_labels import relabel_third_party_apps

        relabel_third_party_apps()
