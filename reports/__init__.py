"""Printable reports: the council summary, the monthly report and the welfare-report indicator annex.

A surface like the pages and the CLI (no Streamlit): every figure and word comes from the readout
(`readout.build`, `readout.localise`), the change digest and the forecasting service; `reports`
only chooses what goes where and hands finished strings to a Typst template (`reports.engine`).
See docs/reports.md.
"""
