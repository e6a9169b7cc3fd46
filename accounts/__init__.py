"""Accounts: users, roles and password hashes (no Streamlit; see `accounts.users`)."""
