"""The gisaudit web API (FastAPI): thin routes over ``gisaudit`` and ``gisaudit.storage``.

Run with ``uvicorn --factory api.main:create_app`` (or ``gisaudit serve``).
"""
