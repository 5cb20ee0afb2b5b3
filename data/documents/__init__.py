"""Official documents generated from stored records (.docx via python-docx)."""
