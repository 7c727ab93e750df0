"""Identity: who is calling (JWT via JWKS) and what they may do (policies).

Entry points call `Identity.authenticate` then `Identity.authorize`; the lifespan
builds the one `Identity` with `build_identity`.
"""
