# One image for every role: `inventory serve`, `consume`, `relay`, `migrate`.
# Configuration comes from the environment (see README, "Configuration").
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/srv/data \
    MIGRATE_ON_START=false

RUN useradd --system --uid 10001 --create-home --home-dir /home/inventory inventory
WORKDIR /srv

# Dependencies first, so code changes do not reinstall them: exactly the versions of
# the lock file (requirements.lock, written by .ci/lock), the service's own package after.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# The code stays in /srv (an editable install): migrations and contracts are found beside it.
# No `embedded` extra: in a container the database and broker are real services.
COPY pyproject.toml README.md alembic.ini ./
COPY migrations ./migrations
COPY contracts ./contracts
COPY consumers ./consumers
COPY graphql_schema ./graphql_schema
COPY app ./app
RUN pip install --no-deps -e . && mkdir -p /srv/data && chown inventory /srv/data

USER inventory
EXPOSE 8000
# Exec form, so `docker stop`'s SIGTERM reaches the process and it shuts down gracefully.
ENTRYPOINT ["inventory"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
