"""The readout: what Kuntamittari says about a number, once, for every surface.

Streamlit-free. `build_area_readout` judges a municipality's metrics (trend, comparison, band,
target, attention; `readout.rules`) into typed, language-independent objects (`readout.model`);
`localise` words and formats them in fi/sv/en (`readout.localise`, `readout.formatting`);
`readout.export` writes them as CSV or JSON. See docs/readout.md.
"""
