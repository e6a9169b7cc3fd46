"""Chart designs as Vega-Lite specs (dicts) and unicode sparklines, without Streamlit.

The dashboard draws them (`ui.render.vega`); reports, the API and the static site can render
the same specs (e.g. with vl-convert). Numbers follow `readout.formatting`.
"""
