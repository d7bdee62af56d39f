"""`uvicorn hybrid_recsys.api:app`: the service's short address, from before the serving wing had a package of its own.

Written by hand, not by nbdev_export (no notebook exports here): every name is handed on to `hybrid_recsys.serve.api`
(nbs/serve/29_api.ipynb), `app` included, built on first access.
"""


def __getattr__(name: str):
    from hybrid_recsys.serve import api
    return getattr(api, name)
