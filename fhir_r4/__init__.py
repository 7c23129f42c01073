"""FHIR R4 interoperability: a stay as a Bundle, reads by id, bulk export, received CIWA-B.

Sits above tapering in the layers: it reads patients, assessments and tapering, and nothing
below imports it. Facts and codes: /work/shared/domain/fhir.md.
"""
