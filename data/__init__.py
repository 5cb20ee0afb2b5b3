"""Schema and storage, importers, exporters, the demo county, settings and the CLI.

``python -m data --help`` lists the commands.
"""
