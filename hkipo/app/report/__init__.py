"""The HTML report: warehouse views → charts (PNG data URIs) → one self-contained page.

`data` reads (read-only), `charts` draws, `render` writes the HTML, and
`hkipo.app.commands.report` puts the file in place atomically.
"""
