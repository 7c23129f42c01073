"""Writes of medication orders and their doses (issue 15).

Every service: one transaction, validation with field errors, audit event with the values.
PRN benzodiazepine doses pass the gates of clinical/medication.py inside a lock on the
admission row, so two nurses recording at the same moment cannot together pass the ceiling.
"""

from medication.services.common import MAX_DOSE_MG, GateRefused
from medication.services.doses import dose_mark_in_error, dose_record
from medication.services.orders import (
    ORDER_MEANING,
    OrderInput,
    canonical_order,
    order_discontinue,
    order_place,
)

__all__ = [
    "MAX_DOSE_MG",
    "ORDER_MEANING",
    "GateRefused",
    "OrderInput",
    "canonical_order",
    "dose_mark_in_error",
    "dose_record",
    "order_discontinue",
    "order_place",
]
