"""The static public site: `kuntamittari publish --out site/` writes every municipality's public
summary in fi/sv/en as plain HTML (charts as SVG, tables, CSV, JSON and the council summary PDF),
an index per language and sitemap.xml, servable by any web server with no Python behind it.

A surface like the Streamlit pages: it reads the public readout (`readout.build.collect_public`)
and the council summary (`reports.summary`), and writes files (`publish.site.publish_site`).
"""
