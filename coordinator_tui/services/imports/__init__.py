"""Importing the service's spreadsheets (patients, family contacts, professionals, care teams) from .csv or .xlsx.

``reading`` reads a file into rows of cells; ``columns`` matches its headers to fields; ``rows`` validates each row
with the forms' own parsers; ``planning`` matches the rows with what the database holds and says what would be
created, updated, left alone, in conflict or to review, before anything is written; ``applying`` writes a plan in
one transaction, audited, remembering what each record's import set (``models.ImportedValues``).

``fhir_reader`` reads FHIR R4 JSON (Bundles as ``fhir export`` writes them, single Patients from another system)
into the same tables, and ``fhir_import`` plans and applies them with the same machinery, every file in one
transaction.
"""
