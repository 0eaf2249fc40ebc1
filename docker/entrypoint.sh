#!/bin/sh
# Container start-up: bring the database up to date, then run the command
# (gunicorn by default, see the Dockerfile's CMD).
#
# `prepare_database` applies migrations and publishes the bundled guides
# (`load_guides`; unchanged guides are skipped). Set HELPDESK_PREPARE_DATABASE=false
# to skip it, e.g. when a release job runs `python manage.py prepare_database` once.
set -eu

prepare="${HELPDESK_PREPARE_DATABASE:-true}"
case "$(printf '%s' "$prepare" | tr '[:upper:]' '[:lower:]')" in
    1 | true | yes | on) python manage.py prepare_database ;;
    0 | false | no | off) ;;
    *)
        echo "HELPDESK_PREPARE_DATABASE must be true or false, not '$prepare'." >&2
        exit 2
        ;;
esac

exec "$@"
