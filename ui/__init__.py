"""Streamlit support shared by the pages: the common frame, translations, cached calls, charts."""
