"""Every error casehistory raises on purpose.

One root, :class:`CaseHistoryError`; one subclass per rule, so that callers can catch
exactly the rule they care about and the name of the class says which rule refused
the command. Messages echo the values involved, name the rule, and say the way out.
"""

from __future__ import annotations

__all__ = [
    "CaseGoodwillAboveLimit",
    "CreditAboveLimit",
    "NotTheCustomer",
    "SelfCommendationForbidden",
    "RmaAlreadyInspected",
    "RmaMustBeRejected",
    "ReturnNotReceived",
    "OvernightNotGranted",
    "OccurredTooEarly",
    "RulesBelowFloor",
    "RulesNewerThanDesk",
    "CustomerForgottenAlready",
    "PersonalDataErased",
    "RecordedInPlaintext",
    "CaseAlreadyExists",
    "CaseHistoryError",
    "CaseIsClosed",
    "CaseNotFound",
    "CancellationNotRequested",
    "CheckpointMismatch",
    "CheckpointSignatureInvalid",
    "CommandIdReused",
    "ConcurrentUpdate",
    "CurrencyMismatch",
    "EscalationAlreadyPending",
    "EscalationNotPending",
    "GoodwillAboveLimit",
    "HoldNotFound",
    "InvalidInput",
    "NoRefundRequested",
    "NotAuthorised",
    "OccurredInFuture",
    "PolicyExceptionRequired",
    "PolicyVersionConflict",
    "ProductRequired",
    "ReleaseExceedsHold",
    "RefundExceedsPaid",
    "RepairNotCovered",
    "RmaNotFound",
    "RmaOutOfOrder",
    "SelfApprovalForbidden",
    "SigningKeyUnusable",
    "SlaPolicyUnknown",
    "StoreUnavailable",
    "StoreNotFound",
    "NotACaseStore",
    "StoreIsReadOnly",
    "StoreTimeWentBackwards",
    "TransitionNotAllowed",
]


class CaseHistoryError(Exception):
    """Raised for every refusal and failure that casehistory reports on purpose."""


class InvalidInput(CaseHistoryError, ValueError):
    """Raised when an argument is malformed: a naive datetime, a float amount, an empty text."""


class CurrencyMismatch(CaseHistoryError, ValueError):
    """Raised when money in two different currencies is added, subtracted or compared."""


class CaseNotFound(CaseHistoryError, KeyError):
    """Raised when no case with the given id exists in the store, or did not at the time asked."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class CaseAlreadyExists(CaseHistoryError):
    """Raised when ``open_case`` is given a case id that the store already holds."""


class StoreUnavailable(CaseHistoryError):
    """Raised when the store cannot be opened or used: no server, no schema, a locked file."""


class ConcurrentUpdate(CaseHistoryError):
    """Raised when another writer recorded on the case first, or it is past the expected version."""


class CommandIdReused(CaseHistoryError):
    """Raised when a command id was recorded on the case for another command or arguments."""


class OccurredInFuture(CaseHistoryError, ValueError):
    """Raised when an event's business time is later than the store's time of recording."""


class StoreTimeWentBackwards(CaseHistoryError):
    """Raised when the desk's clock gives an earlier store time than the case's last event."""


class TransitionNotAllowed(CaseHistoryError):
    """Raised when the lifecycle table does not allow an event in the case's current status."""


class CaseIsClosed(TransitionNotAllowed):
    """Raised when anything but a reopen is attempted on a closed case."""


class NotAuthorised(CaseHistoryError, PermissionError):
    """Raised when the actor's role does not carry the right to record this event."""


class SelfApprovalForbidden(NotAuthorised):
    """Raised when an actor tries to decide an escalation they requested themselves."""


class GoodwillAboveLimit(NotAuthorised):
    """Raised when goodwill or a credit above the agent limit is granted below SUPERVISOR."""


class PolicyExceptionRequired(NotAuthorised):
    """Raised when a command needs a policy exception that this actor may not make."""


class RefundExceedsPaid(CaseHistoryError):
    """Raised when a refund would take the refunded total above the paid total of its currency."""


class ReleaseExceedsHold(CaseHistoryError):
    """Raised when a release would exceed what is still held under that hold."""


class HoldNotFound(CaseHistoryError, KeyError):
    """Raised when a release names a hold reference the case never placed."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NoRefundRequested(CaseHistoryError):
    """Raised when a refund is denied but no refund request is pending."""


class EscalationAlreadyPending(CaseHistoryError):
    """Raised when an escalation is requested while another one awaits its decision."""


class EscalationNotPending(CaseHistoryError):
    """Raised when an escalation is approved or denied that is not the one awaiting a decision."""


class RmaNotFound(CaseHistoryError, KeyError):
    """Raised when a command names an RMA number the case never issued."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RmaOutOfOrder(CaseHistoryError):
    """Raised when an RMA step comes before the step it depends on, or after the RMA ended."""


class RepairNotCovered(CaseHistoryError):
    """Raised when a repair claims a coverage (warranty, vendor) the case does not support."""


class CancellationNotRequested(CaseHistoryError):
    """Raised when a cancellation is completed that was never requested on the case."""


class ProductRequired(CaseHistoryError):
    """Raised when a command needs the case's product (its purchase date) but the case has none."""


class CheckpointMismatch(CaseHistoryError):
    """Raised when a log or a later checkpoint does not extend a checkpoint as it must."""


class CheckpointSignatureInvalid(CaseHistoryError):
    """Raised when a checkpoint is unsigned, signed by an untrusted key, or its signature fails."""


class SigningKeyUnusable(CaseHistoryError):
    """Raised when a signing key file is missing, unreadable, encrypted or not Ed25519."""


class SlaPolicyUnknown(CaseHistoryError, KeyError):
    """Raised when a case opened under an SLA policy the desk does not know, or knows otherwise."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PolicyVersionConflict(CaseHistoryError):
    """Raised when a policy's id and version name other parameters than the store records."""


class StoreNotFound(StoreUnavailable):
    """Raised when a desk opened read-only finds no store at its location: no file, no tables."""


class NotACaseStore(StoreUnavailable):
    """Raised when a file or schema holds no casehistory store, and it is left unchanged."""


class StoreIsReadOnly(StoreUnavailable):
    """Raised when a command is given to a desk that was opened read-only."""


class CaseGoodwillAboveLimit(GoodwillAboveLimit):
    """Raised when an agent's goodwill would take the case's total above the per-case limit."""


class CreditAboveLimit(NotAuthorised):
    """Raised when a credit is above its issuer's role limit and no manager approved it."""


class NotTheCustomer(NotAuthorised):
    """Raised when a CUSTOMER actor acts on, or is named on, another customer's case."""


class SelfCommendationForbidden(NotAuthorised):
    """Raised when the agent a commendation praises records it or is its source."""


class RmaAlreadyInspected(RmaOutOfOrder):
    """Raised when a return that was inspected is inspected again."""


class RmaMustBeRejected(RmaOutOfOrder):
    """Raised when an RMA inspected NOT_AS_DESCRIBED is closed instead of rejected."""


class ReturnNotReceived(RmaOutOfOrder):
    """Raised when an RMA whose goods never arrived is closed instead of rejected."""


class OvernightNotGranted(CaseHistoryError):
    """Raised when an OVERNIGHT shipment at the company's cost has no upgrade for its day."""


class OccurredTooEarly(CaseHistoryError, ValueError):
    """Raised when a fact is dated earlier than the business-time bound of its kind."""


class RulesBelowFloor(CaseHistoryError):
    """Raised when a case opened after its store's floor of rules is held to older rules."""


class PersonalDataErased(CaseHistoryError):
    """Raised when a command would record personal text on a forgotten customer's case."""


class RecordedInPlaintext(CaseHistoryError):
    """Raised when a customer to forget has a case with personal text recorded unsealed."""


class CustomerForgottenAlready(CaseHistoryError):
    """Raised when an erasure is recorded on a case whose customer was already forgotten."""


class RulesNewerThanDesk(CaseHistoryError):
    """Raised when a case is held to newer rules than the desk's, or opens below a newer floor."""
