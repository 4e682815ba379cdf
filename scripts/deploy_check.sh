#!/usr/bin/env bash
# docs/deploy.md, followed literally on a clean checkout of this commit, then the journeys:
# install from base.lock, production settings, check --deploy (no error), migrate, collectstatic,
# the sample district, gunicorn on a loopback port, and scripts/deploy_journeys.py in Chromium.
# Needs DATABASE_URL (PostgreSQL, as in production); .ci/run passes the server it started.
#
#   DATABASE_URL=postgres://linli@127.0.0.1:55432/linli_deploy bash scripts/deploy_check.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
: "${DATABASE_URL:?DATABASE_URL (PostgreSQL) is required}"
PORT="${LINLI_DEPLOY_PORT:-18001}"
WORK="$(mktemp -d /tmp/linli-deploy.XXXXXX)"
GUNICORN=""
cleanup() {
  if [ -n "$GUNICORN" ]; then kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "--- clean checkout of $(git -C "$ROOT" rev-parse --short HEAD)"
git clone --quiet --no-hardlinks "$ROOT" "$WORK/app"
git -C "$WORK/app" checkout --quiet "$(git -C "$ROOT" rev-parse HEAD)"
cd "$WORK/app"

echo "--- Install (docs/deploy.md)"
"$(sh scripts/find-python)" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
.venv/bin/uv pip sync --quiet --python .venv/bin/python --require-hashes requirements/base.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .

echo "--- Environment (production values of docs/deploy.md, on a loopback address)"
export LINLI_PRODUCTION=1
LINLI_SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
export LINLI_SECRET_KEY
export LINLI_ALLOWED_HOSTS=127.0.0.1
export LINLI_CSRF_TRUSTED_ORIGINS="http://127.0.0.1:$PORT"
export LINLI_VAR_DIR="$WORK/var" LINLI_MEDIA_ROOT="$WORK/media" LINLI_STATIC_ROOT="$WORK/static"
export LINLI_TRUSTED_PROXIES=1
export LINLI_SSL_REDIRECT=0  # nginx redirects to HTTPS in docs/deploy.md; none here
export LINLI_AUDIT_RETENTION_DAYS=365 LINLI_SESSION_SECONDS=28800 LINLI_DB_CONN_MAX_AGE=60
# District administrators must use a second factor: the planner's journey enrols one (TOTP).
export LINLI_REQUIRE_2FA=1
mkdir -p "$LINLI_VAR_DIR"

echo "--- linli check --deploy (no errors allowed)"
.venv/bin/linli check --deploy --fail-level ERROR
echo "--- Database, static files"
.venv/bin/linli migrate --no-input -v0
.venv/bin/linli collectstatic --no-input -v1
.venv/bin/linli load_sample --analyse

echo "--- gunicorn on 127.0.0.1:$PORT"
.venv/bin/gunicorn linli.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 2 \
  --timeout 60 --access-logfile "$WORK/access.log" --error-logfile "$WORK/error.log" &
GUNICORN=$!
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" && break
  sleep 1
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" || { cat "$WORK/error.log"; exit 1; }

echo "--- journeys in Chromium"
if ! "$ROOT/.venv/bin/python" "$ROOT/scripts/deploy_journeys.py" --base "http://127.0.0.1:$PORT"; then
  echo "--- gunicorn's error log"; tail -n 80 "$WORK/error.log"; exit 1
fi
if grep -E '" 5[0-9][0-9] ' "$WORK/access.log"; then echo "server errors above"; exit 1; fi
echo "deploy check: OK"
