"""Render the generated regions of the docs from the code, so the docs cannot drift.

A page marks a region ``<!-- generated:NAME -->`` ... ``<!-- /generated:NAME -->``;
``python docs/_generate.py`` rewrites every region of every page in place, and
``python docs/_generate.py --check`` only reports stale regions (exit status 1).
tests/docs/test_doc_examples.py runs the same check.

Regions and what they render:

- ``transitions``: THE transition table, from ``casehistory.domain.lifecycle.TRANSITIONS``.
- ``statuses``: each status, the lifecycle rows that lead into it and out of it.
- ``rights``, ``approvers``: ``casehistory.domain.rights.RIGHTS`` and ``APPROVERS``.
- ``event-common``: the fields every event carries.
- ``personal``: the personal fields of every event (``casehistory.events.PERSONAL``).
- ``event:NAME``: one event's fields, who may record it, its command and lifecycle rows.
- ``value:NAME``: the fields of an attrs value class (``Money``, ``PolicyDecision``, ...).
- ``enums``: every enum of the vocabulary and its members.
- ``policies``: each policy of ``Policies``, its id, version and parameters with defaults.
- ``errors``: every class of ``casehistory.errors.__all__``, its bases and its rule.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Any

import attrs

import casehistory
from casehistory import errors
from casehistory.domain import events as ev
from casehistory.domain.declarations import COMMAND_OF
from casehistory.domain.lifecycle import TRANSITIONS, Status
from casehistory.domain.rights import APPROVERS, RIGHTS

__all__ = [
    "DOCS",
    "approvers_table",
    "enum_table",
    "error_table",
    "event_common_fields",
    "event_section",
    "policy_table",
    "refresh",
    "render",
    "rights_table",
    "stale_regions",
    "status_table",
    "transition_table",
    "value_fields",
]

DOCS = Path(__file__).resolve().parent

REGION = re.compile(
    r"(?P<open><!-- generated:(?P<name>[\w:.-]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- /generated:(?P=name) -->)",
    re.DOTALL,
)

# The fields every event has; ``event-common`` documents them once.
_COMMON = ("originator_id", "originator_version", "timestamp", "by", "occurred_at", "digest")
_INTERNAL = ("originator_topic",)  # eventsourcing's own bookkeeping on CaseOpened
_EVERY_COMMAND = ("command_id", "expected_version")  # keywords every command takes

_COMMON_NOTES = {
    "originator_id": "the case id (also `event.case_id`)",
    "originator_version": "the event's position in its case, 1 for `CaseOpened`",
    "timestamp": "store time: when the desk recorded it, from the desk's clock "
    "(also `event.recorded_at`)",
    "by": "who recorded it, in which role",
    "occurred_at": "business time: when it happened in the world, given by the caller",
    "digest": "SHA-256 (hex) of the event's canonical record and the digest before it: "
    "the hash chain (see [auditing](auditing.md))",
}

# What a field means, by field name; (event, field) overrides for shared names.
_FIELD_NOTES: dict[str, str] = {
    "customer": "who the case is for",
    "subject": "the problem, in a few words",
    "channel": "how the customer reached us (or we reached them)",
    "product": "the item concerned; policies count days from it; `None` for account cases",
    "agent": "the person who now owns the case (AGENT, SUPERVISOR or MANAGER)",
    "from_department": "the department the case left (taken from the case, not the caller)",
    "to_department": "the department the case went to",
    "reason": "why, in the recorder's words",
    "ground": "why the customer is forgotten: the ground of GDPR article 17(1) it rests on",
    "resolution": "how the problem was solved",
    "fault": "whose fault the problem was",
    "other_case_id": "the case this one is linked to; it must exist in the same store",
    "relation": "RELATED, or DUPLICATE_OF the other case",
    "direction": "INBOUND (from the customer) or OUTBOUND (to the customer)",
    "summary": "what was said",
    "demeanour": "how the customer came across, where it was observed; else `None`",
    "awaiting_reply": "outbound only: the case now waits for the customer",
    "text": "free text",
    "category": "what kind of complaint",
    "details": "the complaint in the customer's words, or a summary",
    "agent_id": "the id of the agent praised (the command's `agent`)",
    "source": "who gave the praise (a customer or a supervisor)",
    "symptom": "what the customer sees",
    "finding": "what the technician found",
    "root_cause": "why it happened",
    "known_issue": "reference of a known, widespread fault (a vendor programme), if any",
    "action": "what was done to fix the problem",
    "decision": "the policy decision, as recorded",
    "number": "the escalation's number on its case: 1, 2, ... (given by the case)",
    "to": "who is asked to decide",
    "kind": "what was given",
    "value": "what it is worth (the command's `amount`)",
    "limit_check": "the goodwill-limit decision taken when it was granted",
    "cutoff_check": "the overnight cut-off decision, for FREE_SHIPPING_UPGRADE only",
    "rma_number": "the return authorisation's number, unique on its case",
    "items": "what is to come back",
    "disposition": "what is expected to happen to the goods",
    "return_shipping_paid_by": "who pays return shipping, as the return-shipping policy decided",
    "shipping_decision": "the return-shipping decision behind `return_shipping_paid_by`",
    "condition": "the state of the goods on arrival (default `as packed`)",
    "outcome": "whether the goods are as the customer described",
    "findings": "what the inspection found",
    "work_done": "the repair made",
    "covered_by": "who bears the cost of the repair",
    "cost": "what the repair cost, where known",
    "service_level": "how fast it ships",
    "tracking_number": "the carrier's tracking number (`tracking` in version 1 of the event)",
    "carrier": "who ships it; `None` when not given, and on a shipment recorded before version 2",
    "paid_by": "who pays the shipment",
    "note": "a closing note (default `closed`)",
    "amount": "how much",
    "reference": "the payment's reference (order, receipt, transaction)",
    "policy_exception": "True when refunded past the return window (`window_check` is OUTSIDE)",
    "window_check": "the return-window decision the refund relied on: the latest recorded "
    "one, else decided when refunded; `None` when the case has no product",
    "warranty_check": "the warranty decision a WARRANTY repair relied on: the latest recorded "
    "one, else decided when repaired; `None` for other covers",
    "account": "the customer's account the money is held on",
    "subscription": "the subscription concerned",
    "effective_on": "the date the cancellation took effect",
    "policy_digests": "rules 2: the digest of each decision's policy parameters, by "
    '"id vN" (docs/policies.md, binding)',
    "time_check": "rules 2: the business-time decision that let it in before the case's "
    "opening (`BUSINESS_TIME`); absent when it is not earlier than the opening",
    "case_limit_check": "rules 2: the case's goodwill in all, this grant included, against "
    "the per-case limit (`CASE_GOODWILL_LIMIT`)",
}
_EVENT_FIELD_NOTES: dict[tuple[str, str], str] = {
    ("CaseOpened", "channel"): "how the customer first reached us",
    ("CaseOpened", "sla"): "the SLA policy in force (id, version, digest); absent before 0.2.0",
    ("ContactLogged", "channel"): "the medium of this contact",
    ("DiagnosisRecorded", "fault"): "whose fault, as far as the diagnosis shows; "
    "the case's fault from now on",
    ("CaseResolved", "fault"): "whose fault, as finally established",
    ("NoteAdded", "text"): "the internal note (never shown to the customer)",
    ("CommendationRecorded", "text"): "the praise",
    ("EntitlementChecked", "decision"): "the RETURN_WINDOW or WARRANTY decision: "
    "policy id, version, facts compared, outcome",
    ("RefundDenied", "decision"): "the latest RETURN_WINDOW decision on the case, "
    "if one was recorded; the denial cites it",
    ("EscalationApproved", "number"): "the escalation decided (the pending one)",
    ("EscalationDenied", "number"): "the escalation decided (the pending one)",
    ("GoodwillGranted", "kind"): "what kind of goodwill",
    ("CreditIssued", "limit_check"): "the goodwill-limit decision taken when it was issued",
    ("HoldPlaced", "reference"): "the hold's reference, unique on its case",
    ("HoldReleased", "reference"): "the hold released from",
    ("PaymentRecorded", "amount"): "the money paid",
    ("RefundRequested", "amount"): "the money asked for",
    ("RefundIssued", "amount"): "the money refunded",
    ("HoldPlaced", "amount"): "the money held",
    ("HoldReleased", "amount"): "the money released",
    ("CreditIssued", "amount"): "the credit given",
    ("RmaRejected", "reason"): "why the return is refused",
    # Rules 2 (issue 12): optional fields, absent from the records of cases before them.
    ("CaseOpened", "rules"): "the rules version the case is held to (2 today); absent "
    "before 0.3.0, where it answers 1 (see [policies](policies.md#rules-versions))",
    ("DiagnosisRecorded", "shipping_decision"): "rules 2: return shipping decided again "
    "from this diagnosis's fault, when an open RMA had the customer paying; ENTITLED "
    "moves the open RMAs to the company; absent otherwise",
    ("RepairCompleted", "limit_check"): "rules 2, GOODWILL cover: its `cost` against the "
    "goodwill limit of one grant; absent for other covers",
    ("RepairCompleted", "case_limit_check"): "rules 2, GOODWILL cover: the case's goodwill "
    "in all, this cost included, against the per-case limit; absent for other covers",
    ("CreditIssued", "credit_check"): "rules 2: the credit against the credit limit of its "
    "issuer's role (`CREDIT_LIMIT`)",
}

# How an event records an argument of its command that it does not keep under the
# argument's own name and type (the declaration's ``recorded``), by (event, argument).
_RECORDED_NOTES: dict[tuple[str, str], str] = {
    ("CommendationRecorded", "agent"): "recorded as `agent_id`, the agent's id (an AGENT, "
    "SUPERVISOR or MANAGER; `verify --rules` replays it as an AGENT of that id)",
    ("EntitlementChecked", "kind"): "recorded as `decision.kind`",
    ("GoodwillGranted", "amount"): "recorded as `value` (the argument was `value=` in 0.1.0)",
    ("ReplacementShipped", "tracking"): "recorded as `tracking_number` (as `tracking` by "
    "version 1 of the event)",
}

# The attrs classes a ``value:NAME`` region may render.
_VALUE_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        casehistory.Money,
        casehistory.Actor,
        casehistory.Customer,
        casehistory.Product,
        casehistory.PolicyDecision,
        casehistory.Balance,
        casehistory.Ledger,
        casehistory.Hold,
        casehistory.Escalation,
        casehistory.Rma,
        casehistory.CaseView,
        casehistory.TrailLine,
    )
}

# Every enum of the public surface, in the order the vocabulary page tells them.
_ENUMS: tuple[type[Enum], ...] = (
    casehistory.Role,
    casehistory.Channel,
    casehistory.Direction,
    casehistory.Demeanour,
    casehistory.Fault,
    casehistory.ComplaintCategory,
    casehistory.EntitlementKind,
    casehistory.EscalationTarget,
    casehistory.GoodwillKind,
    casehistory.Payer,
    casehistory.Disposition,
    casehistory.InspectionOutcome,
    casehistory.RepairCoverage,
    casehistory.ServiceLevel,
    casehistory.LinkKind,
    casehistory.Status,
    casehistory.EscalationOutcome,
    casehistory.RmaStage,
    casehistory.ErasureGround,
)

_ROLE_ORDER = (
    casehistory.Role.AGENT,
    casehistory.Role.SUPERVISOR,
    casehistory.Role.MANAGER,
    casehistory.Role.SYSTEM,
    casehistory.Role.VENDOR,
    casehistory.Role.CUSTOMER,
    casehistory.Role.AUDITOR,
    casehistory.Role.PRIVACY_OFFICER,
)


class GenerationError(Exception):
    """Raised when the code holds something the docs have no words for yet."""


# Small Markdown helpers ----------------------------------------------------------


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A Markdown table; a ``|`` inside a cell (``str | None``) is escaped."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    return f"`{text}`"


def _event_names() -> list[str]:
    return [cls.__name__ for cls in ev.EVENT_TYPES]


def _lifecycle_keys(event_name: str) -> list[str]:
    """The rows of the table an event follows: its name, or its name with a qualifier."""
    return [key for key in TRANSITIONS if key == event_name or key.startswith(event_name + " (")]


def _status_name(status: Status | None) -> str:
    return "(no case)" if status is None else status.name


# Lifecycle -------------------------------------------------------------------------


def transition_table() -> str:
    """THE transition table: one row per lifecycle key, one column per status.

    A cell is the status the event leads to from that column's status; ``=`` means it
    stays; an empty cell means the table refuses the event in that status.
    """
    columns: list[Status | None] = [None, *Status]
    rows = []
    for key, row in TRANSITIONS.items():
        cells = []
        for status in columns:
            if status not in row:
                cells.append("")
            elif row[status] is status:
                cells.append("=")
            else:
                cells.append("→ " + row[status].name)
        rows.append([_code(key), *cells])
    return _table(["Lifecycle row", *(_status_name(s) for s in columns)], rows)


def status_table() -> str:
    """Each status, the rows that lead into it and the rows that lead out of it.

    Rows that keep a status (``=`` in the transition table) are in neither column.
    """
    rows = []
    for status in Status:
        into = [
            k
            for k, row in TRANSITIONS.items()
            if any(s is not status and t is status for s, t in row.items())
        ]
        out = [k for k, row in TRANSITIONS.items() if status in row and row[status] is not status]
        rows.append(
            [
                _code(status.name),
                ", ".join(_code(k) for k in into) or "—",
                ", ".join(_code(k) for k in out) or "—",
            ]
        )
    return _table(["Status", "Entered by", "Left by"], rows)


# Rights ------------------------------------------------------------------------------


def rights_table() -> str:
    """Who may record each event: a mark per role, from ``RIGHTS``."""
    rows = []
    for name in _event_names():
        allowed = RIGHTS[name]
        rows.append([_code(name), *("✓" if role in allowed else "" for role in _ROLE_ORDER)])
    return _table(["Event", *(role.name for role in _ROLE_ORDER)], rows)


def approvers_table() -> str:
    """Who may approve or deny an escalation, by its target, from ``APPROVERS``."""
    rows = [
        [_code(target.name), ", ".join(r.name for r in _ROLE_ORDER if r in roles)]
        for target, roles in APPROVERS.items()
    ]
    return _table(["Escalation to", "Decided (approved or denied) by"], rows)


# Events ------------------------------------------------------------------------------


def _event_fields(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.name not in _COMMON and f.name not in _INTERNAL]


_PERSONAL_MARK = {"customer": "name, email sealed"}
"""How the Personal column names a personal field that is a value of several fields."""


def personal_table() -> str:
    """Every personal field of every event, from ``casehistory.events.PERSONAL``."""
    rows = []
    for cls in ev.EVENT_TYPES:
        names = ev.PERSONAL.get(cls, ())
        if names:
            shown = [
                f"`customer.{part}`" if name == "customer" else _code(name)
                for name in names
                for part in (ev.PERSONAL_CUSTOMER_FIELDS if name == "customer" else ("",))
            ]
            rows.append([_code(cls.__name__), ", ".join(shown)])
    return _table(["Event", "Personal fields (sealed under the customer's key)"], rows)


def event_common_fields() -> str:
    """The fields every event carries (from ``CaseEvent`` and eventsourcing)."""
    fields = {f.name: f for f in dataclasses.fields(ev.CaseOpened)}
    rows = [[_code(name), _code(str(fields[name].type)), _COMMON_NOTES[name]] for name in _COMMON]
    return _table(["Field", "Type", "Meaning"], rows)


def _note(event_name: str, field: str) -> str:
    note = _EVENT_FIELD_NOTES.get((event_name, field)) or _FIELD_NOTES.get(field)
    if note is None:
        raise GenerationError(
            f"{event_name}.{field} has no meaning in docs/_generate.py; add it to _FIELD_NOTES"
        )
    return note


def _signature(method_name: str) -> str:
    method = getattr(casehistory.CaseDesk, method_name, None)
    if method is None:
        raise GenerationError(f"CaseDesk has no method {method_name}; it is declared")
    params = [
        p
        for p in list(inspect.signature(method).parameters.values())[1:]  # without self
        if p.name not in _EVERY_COMMAND  # documented once, beside event-common
    ]
    parts: list[str] = []
    star_done = False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        text = p.name
        if p.default is not p.empty:
            text += f"={p.default!r}"
        parts.append(text)
    return f"desk.{method_name}({', '.join(parts)})"


def event_section(name: str) -> str:
    """One event: its own fields, who records it, the command, the lifecycle rows."""
    cls = getattr(ev, name, None)
    if cls not in ev.EVENT_TYPES:
        raise GenerationError(f"{name} is not in casehistory.EVENT_TYPES")
    fields = _event_fields(cls)
    personal = ev.PERSONAL.get(cls, ())
    if fields:
        body = _table(
            ["Field", "Type", "Personal", "Meaning"],
            [
                [
                    _code(f.name),
                    _code(str(f.type)),
                    _PERSONAL_MARK.get(f.name, "sealed") if f.name in personal else "",
                    _note(name, f.name),
                ]
                for f in fields
            ],
        )
    else:
        body = "No fields beyond the common ones.\n"
    declaration = COMMAND_OF.get(cls)
    if declaration is None:
        raise GenerationError(f"{name} has no command; declare it in domain/declarations.py")
    command = declaration.name
    recorded = []
    for argument in declaration.recorded:
        note = _RECORDED_NOTES.get((name, argument))
        if note is None:
            raise GenerationError(
                f"{name}: how {argument} is recorded has no words; add it to _RECORDED_NOTES"
            )
        recorded.append(f"`{argument}` {note}")
    roles = ", ".join(r.name for r in _ROLE_ORDER if r in RIGHTS[name])
    keys = ", ".join(_code(k) for k in _lifecycle_keys(name))
    body += (
        f"\n- Recorded by: {roles}\n"
        f"- Command: `{_signature(command)}`\n"
        + "".join(f"- Argument {line}\n" for line in recorded)
        + f"- Lifecycle row: {keys}\n"
        f"- Topic: `{cls.__module__}:{cls.__qualname__}`\n"
    )
    version = getattr(cls, "class_version", 1)
    if version > 1:
        body += (
            f"- Class version: {version}; rows of older versions are upcast as they are "
            "read, and verified as they were stored (see "
            "[how to change an event](design.md#how-to-change-an-event))\n"
        )
    return body


# Values ------------------------------------------------------------------------------


def _default(field: attrs.Attribute[Any]) -> str:
    if field.default is attrs.NOTHING:
        return "required"
    if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
        return "empty"
    default = field.default
    if isinstance(default, Enum):
        return _code(f"{type(default).__name__}.{default.name}")
    if isinstance(default, frozenset):
        items = sorted(f"{type(m).__name__}.{m.name}" for m in default)
        return _code("{" + ", ".join(items) + "}")
    return _code(repr(default))


def value_fields(name: str) -> str:
    """The fields of an attrs value class, with their types and defaults."""
    cls = _VALUE_CLASSES.get(name)
    if cls is None:
        raise GenerationError(f"value:{name} is not one of {', '.join(_VALUE_CLASSES)}")
    rows = [[_code(f.name), _code(str(f.type)), _default(f)] for f in attrs.fields(cls)]
    return _table(["Field", "Type", "Default"], rows)


def enum_table() -> str:
    """Every enum of the public surface and its members, in declaration order."""
    rows = [[_code(e.__name__), ", ".join(_code(m.name) for m in e)] for e in _ENUMS]
    return _table(["Enum", "Members"], rows)


def policy_table() -> str:
    """Each policy of ``Policies``: attribute, class, id, version, parameters and defaults."""
    rows = []
    defaults = casehistory.Policies()
    for field in attrs.fields(casehistory.Policies):
        policy: Any = getattr(defaults, field.name)
        if not attrs.has(type(policy)):  # sla_history: earlier versions, not a policy
            continue
        params = [
            f"{_code(p.name)} = {_default(p)}"
            for p in attrs.fields(type(policy))
            if p.name not in ("policy_id", "version")
        ]
        rows.append(
            [
                _code(field.name),
                _code(type(policy).__name__),
                _code(policy.policy_id),
                str(policy.version),
                "; ".join(params),
            ]
        )
    return _table(["`Policies` field", "Class", "policy_id", "Version", "Parameters"], rows)


def error_table() -> str:
    """Every error class, its bases and its one-sentence rule (the docstring)."""
    rows = []
    root = errors.CaseHistoryError.__name__
    for name in [root, *(n for n in errors.__all__ if n != root)]:
        cls = getattr(errors, name)
        bases = ", ".join(_code(b.__name__) for b in cls.__bases__)
        doc = " ".join((cls.__doc__ or "").split()).replace("``", "`")
        rows.append([f"[{_code(name)}](#{name.lower()})", bases, doc])
    return _table(["Class", "Bases", "Rule"], rows)


# Regions -----------------------------------------------------------------------------

_FIXED: dict[str, Callable[[], str]] = {
    "transitions": transition_table,
    "statuses": status_table,
    "rights": rights_table,
    "approvers": approvers_table,
    "event-common": event_common_fields,
    "personal": personal_table,
    "enums": enum_table,
    "policies": policy_table,
    "errors": error_table,
}
_PREFIXED: dict[str, Callable[[str], str]] = {
    "event": event_section,
    "value": value_fields,
}


def render(name: str) -> str:
    """The Markdown of the region called ``name``."""
    if name in _FIXED:
        return _FIXED[name]()
    prefix, _, arg = name.partition(":")
    if prefix in _PREFIXED and arg:
        return _PREFIXED[prefix](arg)
    known = ", ".join([*_FIXED, *(f"{p}:NAME" for p in _PREFIXED)])
    raise GenerationError(f"unknown generated region {name!r}; known: {known}")


def refresh(text: str) -> str:
    """``text`` with every generated region rendered afresh."""
    return REGION.sub(lambda m: m["open"] + render(m["name"]) + m["close"], text)


def _pages(docs: Path) -> list[Path]:
    return sorted(docs.glob("*.md"))


def stale_regions(docs: Path = DOCS) -> dict[str, list[str]]:
    """Page name -> names of its regions whose text differs from what the code renders."""
    stale: dict[str, list[str]] = {}
    for page in _pages(docs):
        for match in REGION.finditer(page.read_text(encoding="utf-8")):
            if match["body"] != render(match["name"]):
                stale.setdefault(page.name, []).append(match["name"])
    return stale


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = stale_regions()
    for page_name, names in stale.items():
        print(f"docs/{page_name}: {'stale' if check else 'rewrote'} {', '.join(names)}")
        if not check:
            page = DOCS / page_name
            page.write_text(refresh(page.read_text(encoding="utf-8")), encoding="utf-8")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
