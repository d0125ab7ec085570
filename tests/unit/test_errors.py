"""One root error, one subclass per rule, each documented in one "Raised when ..." sentence."""

from __future__ import annotations

import inspect
import re

import pytest

import casehistory
import casehistory.errors
from casehistory.errors import CaseHistoryError

ERROR_NAMES = list(casehistory.errors.__all__)
SUBCLASS_NAMES = [name for name in ERROR_NAMES if name != "CaseHistoryError"]


class TestErrorClasses:
    @pytest.mark.parametrize("name", ERROR_NAMES)
    def test_every_error_is_a_case_history_error(self, name: str) -> None:
        error = getattr(casehistory.errors, name)

        is_ours = issubclass(error, CaseHistoryError)

        assert inspect.isclass(error)
        assert is_ours

    @pytest.mark.parametrize("name", SUBCLASS_NAMES)
    def test_every_subclass_says_in_one_sentence_when_it_is_raised(self, name: str) -> None:
        error = getattr(casehistory.errors, name)

        doc = (error.__doc__ or "").strip()

        assert error.__doc__ is not CaseHistoryError.__doc__, "inherited docstring"
        assert doc.startswith("Raised when "), doc
        assert "\n" not in doc, doc
        assert doc.endswith("."), doc
        assert not re.search(r"[.!?]\s", doc), f"more than one sentence: {doc}"

    def test_the_root_error_is_documented_too(self) -> None:
        root = CaseHistoryError

        doc = (root.__doc__ or "").strip()

        assert doc.startswith("Raised ")
        assert issubclass(root, Exception)

    @pytest.mark.parametrize("name", ERROR_NAMES)
    def test_every_error_is_exported_by_the_package(self, name: str) -> None:
        exported = casehistory.__all__

        found = getattr(casehistory, name, None)

        assert name in exported
        assert found is getattr(casehistory.errors, name)

    @pytest.mark.parametrize(
        ("name", "builtin"),
        [
            ("InvalidInput", ValueError),
            ("CurrencyMismatch", ValueError),
            ("OccurredInFuture", ValueError),
            ("CaseNotFound", KeyError),
            ("RmaNotFound", KeyError),
            ("NotAuthorised", PermissionError),
        ],
    )
    def test_errors_mix_in_the_builtin_that_fits(self, name: str, builtin: type) -> None:
        error = getattr(casehistory.errors, name)

        ancestors = error.__mro__

        assert builtin in ancestors

    @pytest.mark.parametrize(
        ("name", "parent"),
        [
            ("CaseIsClosed", "TransitionNotAllowed"),
            ("SelfApprovalForbidden", "NotAuthorised"),
            ("GoodwillAboveLimit", "NotAuthorised"),
            ("PolicyExceptionRequired", "NotAuthorised"),
        ],
    )
    def test_special_cases_can_be_caught_as_their_general_rule(
        self, name: str, parent: str
    ) -> None:
        error, general = getattr(casehistory.errors, name), getattr(casehistory.errors, parent)

        caught = issubclass(error, general)

        assert caught

    @pytest.mark.parametrize("name", ["CaseNotFound", "RmaNotFound"])
    def test_key_errors_print_their_message_without_quotes(self, name: str) -> None:
        error = getattr(casehistory.errors, name)("no case 42 in this store")

        text = str(error)

        assert text == "no case 42 in this store"
