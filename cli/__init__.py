"""The `kuntamittari` command: a surface on top of every layer, like the pages.

`cli.main` composes the commands of each part (`cli.datamodel`, `cli.metrics`, `cli.serve`,
`cli.readout`, `cli.refresh`, `cli.forecast`), so the library works from the command line
before any page uses it. Nothing below this package imports it.
"""
