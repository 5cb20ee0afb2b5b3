"""Pure policy rules from the county documents: no I/O, no database, no streamlit.

Each module is one family of rules (``ladders``, ``ratings``, ``votes``,
``fees``, ``parking``, ``inspection``, ``duties``, ``cases``); pages and outside
scripts call them with plain values or DataFrames.
"""
