"""`python -m bench.peers.drf <command>`: the peer's manage.py."""

import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.drf.settings")
execute_from_command_line([f"{sys.executable} -m bench.peers.drf", *sys.argv[1:]])
