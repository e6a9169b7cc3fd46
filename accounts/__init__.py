"""Accounts (no Streamlit): users, roles and password hashes (`users`), sign-in sessions
(`sessions`) and failed-sign-in throttling (`throttle`), the last two kept in the warehouse."""
