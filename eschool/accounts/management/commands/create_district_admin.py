from django.core.management.base import BaseCommand, CommandError

from eschool.accounts.models import User
from eschool.accounts.services import district_admin_create


class Command(BaseCommand):
    help = (
        "Create a district administrator (admin site, every school) and print their "
        "initial password, to be changed at first login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="the login number")
        parser.add_argument("--name", required=True, help="the person's name")

    def handle(self, *args, username, name, **options):
        username, name = username.strip(), name.strip()
        if not username or not name:
            raise CommandError("--username and --name must not be empty.")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user with the login number {username!r} already exists.")
        user, password = district_admin_create(username=username, name=name)
        self.stdout.write(f"District administrator: {user.name} ({user.username})")
        self.stdout.write(f"Initial password: {password}")
