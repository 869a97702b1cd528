# healthpm production image. One image runs every role of docker-compose.yml: gunicorn (the
# default command, static files served by WhiteNoise), the Celery worker, Celery beat and the
# one-shot migrate. No secret is baked in: SECRET_KEY, the signing certificate and its passphrase
# arrive at run time (README, "Deploy with Docker Compose").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=healthpm.settings

# WeasyPrint's rendering libraries and fonts (the runtime half of .ci/system-deps; poppler is
# only used by the tests to cross-check signatures, so it stays out).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core shared-mime-info \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The runtime dependencies of pyproject.toml, every one at the version requirements.lock pins
# (the lock also pins the test tools, which the image leaves out). tests/test_deploy.py checks
# that the lock covers all of them, so nothing here is resolved unpinned.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
      > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt -c requirements.lock \
 && pip check \
 && rm /tmp/requirements.txt

COPY . .

# Static files, hashed and compressed for WhiteNoise, are part of the image. Settings refuse to
# load without SECRET_KEY when DEBUG is off, so this one command gets a throwaway key; it is not
# in the image's environment and never signs anything.
ENV STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    HEALTHPM_VAR_DIR=/app/var
RUN SECRET_KEY=collectstatic-during-image-build-only DEBUG=false python manage.py collectstatic --noinput

# An unprivileged user with a fixed uid, so host files it must read (./secrets) can be given to
# it: `chown 1000:1000`. Evidence and dossiers live under /data/media, audit checkpoints in
# /data/audit-checkpoints (named volumes in compose).
RUN groupadd --gid 1000 healthpm \
 && useradd --uid 1000 --gid 1000 --create-home --shell /usr/sbin/nologin healthpm \
 && mkdir -p /data/media/evidence /data/media/dossiers /data/audit-checkpoints /app/var \
 && chown -R 1000:1000 /data /app/var
USER 1000:1000

# gunicorn binds 0.0.0.0:$PORT and starts $WEB_CONCURRENCY workers when no flag says otherwise.
ENV PORT=8000 \
    WEB_CONCURRENCY=3
EXPOSE 8000

# /healthz (database and broker) asked the way the reverse proxy asks: for the public host of
# SITE_URL over forwarded HTTPS, so ALLOWED_HOSTS and the HTTPS redirect apply as in production.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.parse, urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': urllib.parse.urlsplit(os.environ.get('SITE_URL', 'http://localhost')).netloc, 'X-Forwarded-Proto': 'https'}), timeout=8)"]

CMD ["gunicorn", "healthpm.wsgi:application", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm", "--max-requests", "1000", "--max-requests-jitter", "100"]
