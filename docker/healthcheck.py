"""The container HEALTHCHECK: exit 0 when /healthz answers 200, 1 otherwise.

Slim images have no curl, so this uses the standard library. It asks the
gunicorn in the same container, on $PORT (8000 by default).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode("utf-8", "replace")
            healthy = response.status == 200
    except urllib.error.HTTPError as error:
        body, healthy = error.read().decode("utf-8", "replace"), False
    except OSError as error:
        body, healthy = str(error), False
    if not healthy:
        print(f"unhealthy: {body}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
