"""ASGI entry point, for servers that speak ASGI.

Settings come from the environment; an env file is read only when
``HELPDESK_ENV_FILE`` names one. A missing or bad setting ends the process with
one line naming the variable (see ``helpdesk.env.start_up``).
"""

from __future__ import annotations

from django.core.asgi import get_asgi_application

from helpdesk.env import start_up

start_up(web=True)
application = get_asgi_application()
