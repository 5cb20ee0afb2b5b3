"""Importers for the county's own data: boundaries and the compound register.

``python -m data import boundaries FILE --level township`` and
``python -m data import compounds FILE`` call :func:`import_boundaries` and
:func:`import_compounds`; the import page calls them with uploaded bytes.

Flow: read (GeoJSON, GeoPackage, shapefile/.zip, .xlsx, CSV; encodings
detected) → map Chinese headers → parse every cell → build geometries, choose
the source CRS and convert to WGS-84 → validate (every problem listed with its
Excel row number) → upsert by natural key in one transaction, committed only
when there is no error and this is not a dry run.

Modules: ``readers`` (files → records), ``encoding``, ``columns`` (header
aliases), ``values`` (cell parsers), ``geometry`` (CRS, validity, extent),
``places`` (stored places, matching), ``pipeline`` (shared steps),
``boundaries``, ``compounds``, ``report`` (:class:`ImportReport`).
"""
from data.importers.boundaries import LEVELS, import_boundaries
from data.importers.compounds import import_compounds
from data.importers.readers import SourceError, SourceTable, read_source
from data.importers.report import ImportReport, Issue

__all__ = [
    "import_boundaries", "import_compounds", "ImportReport", "Issue", "LEVELS",
    "read_source", "SourceTable", "SourceError",
]
