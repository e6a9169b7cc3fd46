"""Clients of remote statistics APIs (Sotkanet, Statistics Finland PxWeb).

Each client takes an optional `httpx` transport: live use passes none, tests pass an
`httpx.MockTransport` that serves recorded responses, so both run the same code.
"""
