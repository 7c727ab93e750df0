"""The inventory service: settings, app factory, domain, services, db, outbox, auth, /v1."""
