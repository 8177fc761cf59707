"""Complaint file formats for `manyi complaints import`: bytes in, records and line errors out
(pure). `formats.parse_file` chooses the reader; `importer` (one level up) stores what parsed.
"""
