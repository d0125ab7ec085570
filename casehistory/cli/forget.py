"""``casehistory forget``: forget a customer (docs/data-protection.md)."""

from __future__ import annotations

import click

from casehistory.cli._app import db_option, main, open_desk
from casehistory.cli._output import print_json, say
from casehistory.domain.values import Actor, ErasureGround, Role


@main.command(epilog="Example: casehistory forget CUST-47755 --ground OBJECTION --by p.osei")
@click.argument("customer_id", metavar="CUSTOMER")
@click.option(
    "--ground",
    required=True,
    type=click.Choice([ground.name for ground in ErasureGround]),
    help="The ground of GDPR article 17(1) the erasure rests on.",
)
@click.option(
    "--by",
    "officer",
    required=True,
    metavar="ID",
    help="The privacy officer who decided it (recorded as a PRIVACY_OFFICER).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def forget(customer_id: str, ground: str, officer: str, as_json: bool, db: str) -> None:
    """Forget a customer: destroy their key, so that every personal text of their cases
    reads [erased], and record the erasure on each case (CustomerForgotten).

    Every digest and checkpoint still verifies. Refused, recording nothing, if a case of
    theirs was recorded before sealing existed (RecordedInPlaintext). Safe to run again:
    cases that have their erasure are left as they are, and a key a restored backup
    brought back is destroyed.
    """
    with open_desk(db, writable=True) as desk:
        erasure = desk.forget_customer(
            customer_id,
            ground=ErasureGround[ground],
            by=Actor(officer, Role.PRIVACY_OFFICER),
        )
    if as_json:
        print_json(
            {
                "customer_id": erasure.customer_id,
                "cases": [str(case_id) for case_id in erasure.cases],
                "recorded": [str(case_id) for case_id in erasure.recorded],
                "key_destroyed": erasure.key_destroyed,
            }
        )
        return
    say(
        f"forgot customer {erasure.customer_id}: {len(erasure.cases)} case(s), the erasure "
        f"recorded on {len(erasure.recorded)}"
        + ("" if erasure.key_destroyed else " (no key was left to destroy)")
    )
    for case_id in erasure.cases:
        say(f"  {case_id}  {'erased now' if case_id in erasure.recorded else 'already erased'}")
