"""FHIR R4 resources built from our records, one module per source app.

Each builder takes model instances already loaded (no query of its own), so a Bundle of a
whole stay costs the same number of queries whatever its size. Source of every code and
structure: /work/shared/domain/fhir.md (HL7 FHIR R4 4.0.1; Vital Signs profile).
"""
