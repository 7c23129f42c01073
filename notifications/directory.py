"""Who receives what on each unit, loaded once per sweep in a fixed number of queries.

The roster (on-call physician, charge nurse) and the chain are set by admins. When a role is
not filled, the notification goes to every active member of the unit with that role rather
than to nobody: a missing roster entry must never silence a clinical alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from cnt_detox.core.models import User
from cnt_detox.core.roles import Role
from notifications.models import EscalationChainMember, UnitOnCall


@dataclass
class UnitPeople:
    on_call_physician: int | None = None
    charge_nurse: int | None = None
    chain: list[int] = field(default_factory=list)
    nurses: list[int] = field(default_factory=list)
    physicians: list[int] = field(default_factory=list)
    member_ids: set[int] = field(default_factory=set)

    def physician_ids(self) -> list[int]:
        return [self.on_call_physician] if self.on_call_physician else list(self.physicians)

    def charge_nurse_ids(self) -> list[int]:
        return [self.charge_nurse] if self.charge_nurse else list(self.nurses)

    def chain_step(self, step: int, already: Iterable[int]) -> list[int]:
        """Recipients of chain step ``step`` (>= 1).

        With no chain configured, step 1 goes to the unit's other physicians.
        """
        if self.chain:
            return [self.chain[step - 1]] if step <= len(self.chain) else []
        if step == 1:
            seen = set(already)
            return [pk for pk in self.physicians if pk not in seen]
        return []

    def chain_length(self) -> int:
        return len(self.chain) if self.chain else 1


class Directory:
    def __init__(self, unit_ids: Iterable[int]) -> None:
        ids = set(unit_ids)
        self.units: dict[int, UnitPeople] = defaultdict(UnitPeople)
        if not ids:
            return
        for roster in UnitOnCall.objects.filter(unit_id__in=ids).select_related(
            "on_call_physician", "charge_nurse"
        ):
            people = self.units[roster.unit_id]
            # A roster entry only counts while that person is active and still in the unit;
            # checked below against the member list.
            people.on_call_physician = roster.on_call_physician_id
            people.charge_nurse = roster.charge_nurse_id
        for member in EscalationChainMember.objects.filter(unit_id__in=ids).order_by(
            "unit_id", "position"
        ):
            self.units[member.unit_id].chain.append(member.user_id)
        members = User.objects.filter(
            units__in=ids, is_active=True, role__in=[Role.NURSE, Role.PHYSICIAN]
        ).values_list("units", "id", "role")
        active: dict[int, set[int]] = defaultdict(set)
        for unit_id, user_id, role in members.order_by("id"):
            if unit_id not in ids:
                continue
            active[unit_id].add(user_id)
            people = self.units[unit_id]
            (people.nurses if role == Role.NURSE else people.physicians).append(user_id)
        for unit_id in ids:
            people = self.units[unit_id]
            if people.on_call_physician not in active[unit_id]:
                people.on_call_physician = None
            if people.charge_nurse not in active[unit_id]:
                people.charge_nurse = None
            people.chain = [pk for pk in people.chain if pk in active[unit_id]]
            people.member_ids = active[unit_id]

    def for_unit(self, unit_id: int) -> UnitPeople:
        return self.units[unit_id]

    def is_member(self, unit_id: int, user_id: int | None) -> bool:
        return user_id in self.units[unit_id].member_ids
