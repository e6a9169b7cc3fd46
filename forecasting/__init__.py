"""Forecasts, baselines, backtests and scenarios on plain DataFrames (no Streamlit)."""
