"""Kuntamittari's read-only HTTP API (FastAPI, served by uvicorn): a surface beside the CLI."""
