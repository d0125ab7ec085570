"""The cases of make_store.py: who, when, and the scripts they follow (not a benchmark).

Each case follows one of nine scripts, written as a generator: the code between two
``yield``s is one session (a few commands on the case, then one ``desk._save``: one
transaction), and each ``yield`` gives the business time of the next session. The
builder runs the sessions of all cases in the order of those times, so the log
interleaves cases as a desk's does; a session due after END never runs, which leaves
the last weeks' cases open, awaiting the customer, escalated.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any
from uuid import UUID

from casehistory import Actor, CaseDesk, Channel, Customer, Money, Product, Role
from casehistory.domain.case import Case
from casehistory.domain.values import (
    ComplaintCategory,
    Demeanour,
    Direction,
    Disposition,
    EscalationTarget,
    Fault,
    GoodwillKind,
    InspectionOutcome,
    LinkKind,
    Payer,
    RepairCoverage,
    ServiceLevel,
)

START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365
END = START + timedelta(days=DAYS)
"""Cases open between START and END; nothing happens after END."""

AGENTS = tuple(Actor(f"agent.{i:02d}", Role.AGENT) for i in range(60))
SUPERVISORS = tuple(Actor(f"sup.{i}", Role.SUPERVISOR) for i in range(8))
MANAGERS = tuple(Actor(f"mgr.{i}", Role.MANAGER) for i in range(3))
INTAKE = Actor("mail-intake", Role.SYSTEM)
AUTO_CLOSE = Actor("auto-close", Role.SYSTEM)
VENDOR = Actor("vendor.acme", Role.VENDOR)
FIRST = ("Ana", "Bo", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi", "Lea")
LAST = ("Ortiz", "Lind", "Wu", "Smith", "Novak", "Haddad", "Berg", "Sato", "Petrov", "Okafor")
CURRENCIES = (("USD", 6), ("EUR", 3), ("GBP", 1))
CHANNELS = (
    (Channel.EMAIL, 35),
    (Channel.PHONE, 30),
    (Channel.CHAT, 25),
    (Channel.WALK_IN, 5),
    (Channel.LETTER, 5),
)
LIVE = (Channel.PHONE, Channel.CHAT, Channel.WALK_IN)
PRODUCTS = (
    ("NB-15-X540", "15-inch laptop", "1249.00"),
    ("MX-500-SG", "stand mixer", "349.00"),
    ("HD-2TB-EXT", "2 TB external drive", "89.99"),
    ("PH-A12", "A12 phone", "699.00"),
    ("TV-55-Q", "55-inch television", "899.00"),
    ("VC-ROBO-3", "robot vacuum", "429.00"),
    ("HP-NC-700", "noise-cancelling headphones", "279.00"),
    ("KB-MECH-1", "mechanical keyboard", "129.00"),
    ("CM-ESP-2", "espresso machine", "599.00"),
    ("WT-RUN-5", "running watch", "249.00"),
)
SCRIPTS = (
    # (script, weight, subjects, the department it is routed to half the time)
    ("question", 28, ("how do I reset my {p}", "where is my order {n}"), "Technical Support"),
    ("awaiting", 12, ("{p} manual missing", "new delivery address for order {n}"), None),
    ("refund", 14, ("refund for damaged {p}", "charged twice for order {n}"), "Billing"),
    ("rma", 12, ("{p} will not power on", "{p} makes a grinding noise"), "Returns"),
    ("escalation", 10, ("complaint about late order {n}", "{p} price not honoured"), None),
    ("hold", 7, ("disputed card payment for order {n}", "chargeback on order {n}"), "Billing"),
    ("credit", 6, ("late delivery of order {n}", "missing accessory for {p}"), "Orders"),
    ("cancellation", 4, ("cancel subscription {n}", "stop renewal of plan {n}"), "Retention"),
    ("payment", 7, ("pay the balance of order {n}", "payment for repair of {p}"), "Billing"),
)
DEMEANOURS = ((Demeanour.CALM, 5), (Demeanour.POLITE, 3), (Demeanour.FRUSTRATED, 2))
COMPLAINTS = (
    (ComplaintCategory.SERVICE, 5),
    (ComplaintCategory.BILLING, 2),
    (ComplaintCategory.PRODUCT_QUALITY, 3),
    (ComplaintCategory.LEGAL_THREAT, 1),
)
TARGETS = (
    (EscalationTarget.SUPERVISOR, 12),
    (EscalationTarget.MANAGER, 6),
    (EscalationTarget.LEGAL, 1),
    (EscalationTarget.VENDOR, 1),
)
GOODWILL = ((GoodwillKind.CREDIT, 3), (GoodwillKind.FEE_WAIVED, 2), (GoodwillKind.FREE_SOFTWARE, 1))
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
Script = Iterator[datetime]


def pick(rng: Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


@dataclass
class Built:
    """What a build did: its figures, and the transactions the baseline replays."""

    cases: int = 0
    events: int = 0
    seconds: float = 0.0
    save_seconds: float = 0.0
    plan: list[int] = field(default_factory=list)
    """Per transaction: n > 0, n events (the next n of the log); n < 0, the snapshots
    of ``snapshots[-n - 1]``."""
    snapshots: list[list[tuple[str, int, str, bytes]]] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=dict)
    scripts: dict[str, int] = field(default_factory=dict)


class Builder:
    """Runs the scripts of ``cases`` cases on ``desk``, seeded (see the module's doc)."""

    def __init__(self, desk: CaseDesk, seed: int, built: Built) -> None:
        self.desk, self.rng, self.built = desk, Random(seed), built
        self.policies = desk.policies
        self.now = START  # store time: monotonic, a few minutes after the session
        self.at = START  # business time of the session's latest step
        self.last_case: dict[str, UUID] = {}
        self._count_transactions()

    def _count_transactions(self) -> None:
        """Note each transaction's rows (and keep the snapshots) for the baseline."""
        built, events = self.built, self.desk._store.recorder
        insert = events.insert_events

        def counted(stored: Any, **kwargs: Any) -> Any:
            built.plan.append(len(stored))
            return insert(stored, **kwargs)

        events.insert_events = counted
        snapshots = self.desk._store.snapshots
        if snapshots is not None:
            put = snapshots.recorder.insert_events

            def kept(stored: Any, **kwargs: Any) -> Any:
                built.plan.append(-len(built.snapshots) - 1)
                rows = [
                    (s.originator_id.hex, s.originator_version, s.topic, s.state) for s in stored
                ]
                built.snapshots.append(rows)
                return put(stored, **kwargs)

            snapshots.recorder.insert_events = kept

    def run(self, cases: int) -> None:
        rng = self.rng
        customers = max(1, cases * 2 // 5)
        opened: list[datetime] = []
        while len(opened) < cases:
            day = START + DAY * rng.randrange(DAYS)
            if day.weekday() >= 5 and rng.random() < 0.6:
                continue  # fewer cases at weekends
            opened.append(day + HOUR * (rng.gauss(13, 3.5) % 24))  # fewer at night
        opened.sort()
        queue: list[tuple[datetime, int, Script]] = []
        for number, at in enumerate(opened):
            who = int(customers * rng.random() ** 2)  # some customers come back often
            script = self.script(number, who, at, Random(rng.getrandbits(64)))
            heapq.heappush(queue, (next(script), number, script))
        started = time.perf_counter()
        while queue:
            at, number, script = heapq.heappop(queue)
            self.at = at
            self.now = max(self.now + timedelta(microseconds=1), at + timedelta(minutes=20))
            following = next(script, None)
            if following is not None and following < END:
                heapq.heappush(queue, (following, number, script))
        self.built.seconds += time.perf_counter() - started
        self.built.cases = cases

    # Steps ------------------------------------------------------------------------

    def act(self, case: Case, command: str, by: Actor, **kwargs: Any) -> None:
        """One command, a minute or three after the session's previous step."""
        self.at = min(self.at + timedelta(minutes=self.rng.randint(1, 3)), self.now)
        getattr(case, command)(by=by, occurred_at=self.at, recorded_at=self.now, **kwargs)

    def contact(self, case: Case, by: Actor, direction: Direction, summary: str, **kw: Any) -> None:
        channel = kw.pop("channel", case.state.channel)
        self.act(
            case, "log_contact", by, channel=channel, direction=direction, summary=summary, **kw
        )

    def save(self, case: Case) -> None:
        """End the session: one transaction."""
        for event in case.pending_events:
            name = type(event).__name__
            self.built.by_type[name] = self.built.by_type.get(name, 0) + 1
        self.built.events += len(case.pending_events)
        started = time.perf_counter()
        self.desk._save(case)
        self.built.save_seconds += time.perf_counter() - started

    def later(self, case: Case, rng: Random, low: float, high: float) -> datetime:
        """Save the session; the time of the next, ``low`` to ``high`` hours on."""
        self.save(case)
        return self.at + rng.uniform(low, high) * HOUR

    # The script every case follows, around its middle part ----------------------------

    def script(self, number: int, who: int, opened: datetime, rng: Random) -> Script:
        kind, _, subjects, department = pick(rng, tuple((s, s[1]) for s in SCRIPTS))
        self.built.scripts[kind] = self.built.scripts.get(kind, 0) + 1
        currency = pick(Random(who), CURRENCIES)
        customer = Customer(f"CUST-{who:06d}", f"{FIRST[who % 12]} {LAST[who // 12 % 10]}")
        sku, name, price = rng.choice(PRODUCTS)
        amount = Money(price, currency)
        bought = opened.date() - timedelta(days=rng.randint(1, 20 if kind == "refund" else 300))
        product = Product(sku, name, bought, amount, order_id=f"ORD-{number:07d}")
        channel = pick(rng, CHANNELS)
        agent = rng.choice(AGENTS)
        yield opened
        case = Case.open(
            customer=customer,
            subject=rng.choice(subjects).format(p=name, n=product.order_id),
            channel=channel,
            by=agent if channel in LIVE else INTAKE,
            occurred_at=opened,
            recorded_at=self.now,
            product=None if kind in ("question", "cancellation") else product,
            case_id=UUID(int=rng.getrandbits(128), version=4),
            sla=self.policies.sla.terms,
        )
        case.commit_state_every = self.desk._snapshot_every
        self.act(case, "assign_agent", agent, agent=agent)
        if department is not None and rng.random() < 0.5:
            self.act(case, "transfer_case", agent, to_department=department, reason="routed")
        if channel in LIVE:  # the first response: staff speak with the customer
            mood = pick(rng, DEMEANOURS)
            self.contact(case, agent, Direction.INBOUND, "customer told the story", demeanour=mood)
        if kind in ("payment", "hold", "refund"):
            self.act(case, "record_payment", agent, amount=amount, reference=f"PAY-{number}")
        if rng.random() < 0.3:
            self.act(case, "add_note", agent, text="customer's account checked")
        previous = self.last_case.get(customer.id)
        self.last_case[customer.id] = case.id
        if previous is not None and rng.random() < 0.04:
            self.act(case, "link_cases", agent, other_case_id=previous, relation=LinkKind.RELATED)
        self.save(case)
        if rng.random() < 0.04:
            return  # abandoned: never worked on again
        yield opened + rng.uniform(0.3, 30) * HOUR
        if channel not in LIVE:  # the first response to an email or letter
            waits = kind == "awaiting"
            self.contact(case, agent, Direction.OUTBOUND, "replied", awaiting_reply=waits)
        if rng.random() < 0.5:
            self.act(case, "add_note", agent, text=f"checked order {product.order_id}")
        middle = getattr(self, f"_{kind}")(case, rng, agent, amount, number)
        faults = yield from middle
        if faults is None or case.state.status.name not in ("OPEN", "AWAITING_CUSTOMER"):
            self.save(case)
            return  # stays as it is: an open hold, a pending escalation, no answer...
        yield from self._wrap_up(case, rng, agent, faults)

    def _wrap_up(self, case: Case, rng: Random, agent: Actor, faults: tuple[Fault, ...]) -> Script:
        if rng.random() < 0.6:
            self.contact(case, agent, Direction.OUTBOUND, "explained the outcome")
        self.act(case, "resolve_case", agent, resolution="sorted out", fault=rng.choice(faults))
        if rng.random() < 0.03:
            source = Actor(case.state.customer.id, Role.CUSTOMER)
            self.act(case, "record_commendation", agent, agent=agent, source=source, text="thanks")
        yield self.later(case, rng, 24, 24 * 7)
        self.act(case, "close_case", AUTO_CLOSE)
        if rng.random() < 0.04:
            yield self.later(case, rng, 48, 24 * 20)
            self.act(case, "reopen_case", agent, reason="customer says it happened again")
            self.contact(case, agent, Direction.OUTBOUND, "called the customer back")
            yield self.later(case, rng, 24, 24 * 5)
            self.act(case, "resolve_case", agent, resolution="fixed for good", fault=faults[0])
            self.act(case, "close_case", agent)
        self.save(case)

    # The middles: sessions, then the faults a resolution may name (None: no
    # resolution, the case stays where it is).

    def _question(self, case: Case, rng: Random, agent: Actor, *_: Any) -> Any:
        # A few long threads (about 1% of all cases): dozens of follow-ups.
        follow_ups = rng.randint(20, 60) if rng.random() < 0.036 else rng.randint(1, 2)
        for _ in range(follow_ups):
            yield self.later(case, rng, 2, 48)
            self.contact(case, agent, rng.choice(tuple(Direction)), "follow-up")
            if rng.random() < 0.3:
                self.act(case, "add_note", agent, text="customer tried the steps")
        return (Fault.NONE, Fault.CUSTOMER)

    def _awaiting(self, case: Case, rng: Random, agent: Actor, *_: Any) -> Any:
        if case.state.status.name != "AWAITING_CUSTOMER":
            self.contact(case, agent, Direction.OUTBOUND, "asked for photos", awaiting_reply=True)
        yield self.later(case, rng, 24, 24 * 6)
        if rng.random() < 0.25:  # no answer: some are closed after a week, some stay
            return (Fault.NONE,) if rng.random() < 0.5 else None
        customer = Actor(case.state.customer.id, Role.CUSTOMER)
        self.contact(case, customer, Direction.INBOUND, "sent the photos", channel=Channel.EMAIL)
        self.act(case, "add_note", agent, text="photos received")
        return (Fault.NONE, Fault.OURS, Fault.CUSTOMER)

    def _refund(self, case: Case, rng: Random, agent: Actor, amount: Money, _: int) -> Any:
        part = amount if rng.random() < 0.7 else Money(amount.amount / 2, amount.currency)
        self.act(case, "request_refund", agent, amount=part, reason="item arrived damaged")
        yield self.later(case, rng, 2, 60)
        if rng.random() < 0.15:
            self.act(case, "deny_refund", agent, reason="damage caused in use")
            return (Fault.CUSTOMER,)
        self.act(case, "issue_refund", agent, amount=part, reason="damaged", policies=self.policies)
        return (Fault.OURS, Fault.VENDOR)

    def _rma(self, case: Case, rng: Random, agent: Actor, amount: Money, number: int) -> Any:
        fault = rng.choice((Fault.OURS, Fault.VENDOR))
        self.act(
            case,
            "record_diagnosis",
            agent,
            symptom="no power",
            finding="board failed",
            root_cause="power regulator",
            fault=fault,
        )
        repair, rma = rng.random() < 0.6, f"RMA-{number:07d}"
        self.act(
            case,
            "issue_rma",
            agent,
            rma_number=rma,
            items=case.state.subject,
            reason="faulty unit",
            disposition=Disposition.REPAIR if repair else Disposition.REPLACE,
            policies=self.policies,
        )
        yield self.later(case, rng, 48, 24 * 10)
        self.act(case, "receive_return", agent, rma_number=rma)
        yield self.later(case, rng, 24, 24 * 5)
        if repair:
            outcome, findings = InspectionOutcome.AS_DESCRIBED, "fault confirmed"
            self.act(
                case,
                "complete_inspection",
                VENDOR,
                rma_number=rma,
                outcome=outcome,
                findings=findings,
            )
            covered = rng.random() < 0.8
            self.act(
                case,
                "complete_repair",
                VENDOR,
                rma_number=rma,
                work_done="board replaced",
                covered_by=RepairCoverage.WARRANTY if covered else RepairCoverage.CUSTOMER,
                policies=self.policies,
                cost=None if covered else Money("60.00", amount.currency),
            )
        else:
            self.act(
                case,
                "ship_replacement",
                agent,
                rma_number=rma,
                service_level=ServiceLevel.EXPRESS,
                tracking=f"TRK{number:09d}",
                paid_by=Payer.COMPANY,
            )
        self.act(case, "close_rma", agent, rma_number=rma)
        self.contact(case, agent, Direction.OUTBOUND, "the unit is on its way back")
        return (fault,)

    def _escalation(self, case: Case, rng: Random, agent: Actor, amount: Money, _: int) -> Any:
        category = pick(rng, COMPLAINTS)
        self.act(case, "record_complaint", agent, category=category, details="unhappy with delay")
        target = pick(rng, TARGETS)
        self.act(case, "request_escalation", agent, to=target, reason="customer asks for more")
        yield self.later(case, rng, 6, 24 * 4)
        if rng.random() < 0.06:
            return None  # still awaits approval
        if target is EscalationTarget.SUPERVISOR:
            approver = rng.choice(SUPERVISORS)
        else:
            approver = VENDOR if target is EscalationTarget.VENDOR else rng.choice(MANAGERS)
        number = case.state.escalations[-1].number  # the one just requested
        if rng.random() < 0.3:
            self.act(
                case, "deny_escalation", approver, number=number, reason="within policy already"
            )
            return (Fault.NONE, Fault.CUSTOMER)
        self.act(case, "approve_escalation", approver, number=number, reason="make it right")
        if approver.role is not Role.VENDOR:
            value = Money(f"{rng.choice((15, 25, 40, 75, 120))}.00", amount.currency)
            kind = pick(rng, GOODWILL)
            self.act(
                case,
                "grant_goodwill",
                approver,
                kind=kind,
                amount=value,
                reason="sorry for the trouble",
                policies=self.policies,
            )
        return (Fault.OURS,)

    def _hold(self, case: Case, rng: Random, agent: Actor, amount: Money, number: int) -> Any:
        reference, card = f"HOLD-{number}", "card ...4411"
        why = "chargeback check"
        self.act(
            case, "place_hold", agent, amount=amount, account=card, reference=reference, reason=why
        )
        yield self.later(case, rng, 24, 24 * 10)
        if rng.random() < 0.15:
            return None  # the hold stays open
        self.act(
            case, "release_hold", agent, reference=reference, amount=amount, reason="withdrawn"
        )
        return (Fault.NONE, Fault.CUSTOMER)

    def _credit(self, case: Case, rng: Random, agent: Actor, amount: Money, _: int) -> Any:
        big = rng.random() < 0.25  # above the agent's limit: a supervisor's credit
        by = rng.choice(SUPERVISORS) if big else agent
        value = Money(f"{rng.randint(55, 200) if big else rng.randint(5, 45)}.00", amount.currency)
        yield self.later(case, rng, 1, 24)
        self.act(case, "issue_credit", by, amount=value, reason="late", policies=self.policies)
        return (Fault.OURS,)

    def _cancellation(self, case: Case, rng: Random, agent: Actor, _: Money, number: int) -> Any:
        plan = f"SUB-{number}"
        self.act(case, "request_cancellation", agent, subscription=plan, reason="moving abroad")
        yield self.later(case, rng, 4, 72)
        effective = self.at.date() + timedelta(days=30)
        self.act(case, "complete_cancellation", agent, subscription=plan, effective_on=effective)
        return (Fault.NONE,)

    def _payment(self, case: Case, rng: Random, agent: Actor, amount: Money, number: int) -> Any:
        yield self.later(case, rng, 1, 24 * 3)
        fee = Money("19.99", amount.currency)
        self.act(case, "record_payment", agent, amount=fee, reference=f"PAY-{number}-2")
        return (Fault.NONE,)
