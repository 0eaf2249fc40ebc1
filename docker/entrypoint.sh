#!/bin/sh
# Container start-up: bring the database up to date, then run the command
# (gunicorn by default, see the Dockerfile's CMD).
#
# `prepare_database` applies migrations and publishes the bundled guides
# (`load_guides`; unchanged guides are skipped). Set HELPDESK_PREPARE_DATABASE=false
# to skip it, e.g. when a release job runs `python manage.py prepare_database` once.
set -eu

if [ "${HELPDESK_PREPARE_DATABASE:-true}" != "false" ]; then
    python manage.py prepare_database
fi

exec "$@"
