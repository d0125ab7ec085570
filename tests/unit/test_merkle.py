"""Merkle tree heads and proofs are exactly RFC 9162 §2.1: checked against a reference
written from the RFC's text, against the published Certificate Transparency vectors, and
by tampering with every proof."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from casehistory.audit.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_head,
    verify_consistency,
    verify_inclusion,
)
from casehistory.errors import InvalidInput

# --- A reference written from the text of RFC 9162 §2.1, on list slices, for comparison.


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n, found the slow, obvious way."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1."""
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + reference_mth(d[:k]) + reference_mth(d[k:]))


def reference_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*reference_path(m, d[:k]), reference_mth(d[k:])]
    return [*reference_path(m - k, d[k:]), reference_mth(d[:k])]


def reference_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [reference_mth(d)]
    k = _k(n)
    if m <= k:
        return [*reference_subproof(m, d[:k], b), reference_mth(d[k:])]
    return [*reference_subproof(m - k, d[k:], False), reference_mth(d[:k])]


def inclusion_sides(index: int, size: int) -> tuple[str, ...]:
    """Where each hash of PATH(index, D[size]) sits, bottom up: the only thing a verifier
    takes from the size."""
    if size == 1:
        return ()
    k = _k(size)
    if index < k:
        return (*inclusion_sides(index, k), "right")
    return (*inclusion_sides(index - k, size - k), "left")


def consistency_sides(old_size: int, new_size: int, known: bool = True) -> tuple[str, ...]:
    """The same for PROOF(old_size, D[new_size]), the starting hash included."""
    if old_size == new_size:
        return ("old root",) if known else ("sent",)
    k = _k(new_size)
    if old_size <= k:
        return (*consistency_sides(old_size, k, known), "right")
    return (*consistency_sides(old_size - k, new_size - k, False), "left")


def entries(n: int) -> list[bytes]:
    return [f"event {i}".encode() for i in range(n)]


LOG = entries(70)
LOG_ROOTS = [reference_mth(LOG[:n]) for n in range(71)]

# --- Known answers, from transparency-dev/merkle (the Certificate Transparency test data,
# RFC 6962 hashing, which RFC 9162 keeps): leaves and roots from testonly/constants.go
# (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1), proofs from proof/verify_test.go
# (commit 02194e9afb6c1d95b5381350007963aa70fff472). Data only; leaf numbers there count
# from 1, indices here from 0.

CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_LEAF_HASHES = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ]
]
CT_ROOTS = [  # by tree size, 0 to 8
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
_H = {
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "b086": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
}
CT_INCLUSION_PROOFS = [  # (index, size, proof)
    (0, 1, []),
    (0, 8, ["96a2", "5f08", "6b47"]),
    (5, 8, ["bc1a", "ca85", "d37e"]),
    (2, 3, ["fac5"]),
    (1, 5, ["6e34", "5f08", "bc1a"]),
]
CT_CONSISTENCY_PROOFS = [  # (old_size, new_size, proof)
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
    (6, 7, ["0ebc", "b086", "d37e"]),
]


def _hashes(names: list[str]) -> list[bytes]:
    return [bytes.fromhex(_H[name]) for name in names]


def _flip(proof: list[bytes], element: int, position: int, mask: int) -> list[bytes]:
    changed = bytearray(proof[element])
    changed[position] ^= mask
    return [*proof[:element], bytes(changed), *proof[element + 1 :]]


proof_bytes = st.tuples(st.integers(0, 255), st.integers(0, 31), st.integers(1, 255))
"""(which element, which byte, xor mask); the element is taken modulo the proof length."""


class TestHashes:
    def test_the_empty_tree_hashes_to_the_sha256_of_nothing(self) -> None:
        assert CT_ROOTS[0] == EMPTY_ROOT
        assert tree_head([]) == EMPTY_ROOT

    def test_leaves_and_nodes_are_hashed_with_different_prefixes(self) -> None:
        left, right = b"\x00" * 32, b"\x11" * 32

        assert leaf_hash(b"abc") == _sha256(b"\x00abc")
        assert node_hash(left, right) == _sha256(b"\x01" + left + right)
        assert leaf_hash(left + right) != node_hash(left, right)

    def test_reproduce_the_published_leaf_hashes(self) -> None:
        hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]

        assert hashes == CT_LEAF_HASHES


class TestTreeHead:
    @pytest.mark.parametrize("size", range(71))
    def test_is_the_rfc_definition_for_every_size_up_to_70(self, size: int) -> None:
        head = tree_head(LOG[:size])

        assert head == LOG_ROOTS[size]

    @given(st.lists(st.binary(max_size=24), max_size=80))
    def test_is_the_rfc_definition_for_any_entries(self, log: list[bytes]) -> None:
        head = tree_head(log)

        assert head == reference_mth(log)

    def test_reproduces_the_published_roots_of_sizes_0_to_8(self) -> None:
        heads = [tree_head(CT_LEAVES[:n]) for n in range(9)]

        assert heads == CT_ROOTS

    def test_is_not_the_tree_that_duplicates_an_odd_last_node(self) -> None:
        # Bitcoin's tree pairs an odd last node with itself; RFC 9162 never does.
        a, b, c = (leaf_hash(e) for e in LOG[:3])

        assert tree_head(LOG[:3]) == node_hash(node_hash(a, b), c)
        assert tree_head(LOG[:3]) != node_hash(node_hash(a, b), node_hash(c, c))

    def test_merges_the_subtrees_right_to_left(self) -> None:
        # 7 = 4 + 2 + 1: the RFC splits at 4, so the 2 and the 1 are joined first.
        four, two, one = tree_head(LOG[:4]), tree_head(LOG[4:6]), leaf_hash(LOG[6])

        head = tree_head(LOG[:7])

        assert head == node_hash(four, node_hash(two, one))
        assert head != node_hash(node_hash(four, two), one)


class TestTreeBuilder:
    def test_gives_the_root_at_every_size_while_streaming(self) -> None:
        builder = TreeBuilder()
        seen = [builder.root()]

        for entry in LOG:
            builder.append(entry)
            seen.append(builder.root())

        assert seen == LOG_ROOTS
        assert builder.size == 70

    def test_reading_the_root_changes_nothing(self) -> None:
        builder = TreeBuilder()
        for entry in LOG[:13]:
            builder.append(entry)

        first, second = builder.root(), builder.root()
        builder.append(LOG[13])

        assert first == second == LOG_ROOTS[13]
        assert builder.root() == LOG_ROOTS[14]

    def test_keeps_one_hash_per_1_bit_of_its_size(self) -> None:
        builder = TreeBuilder()

        for entry in entries(1000):
            builder.append(entry)

        assert len(builder._subtrees) == bin(1000).count("1") == 6

    def test_refuses_text_that_was_not_encoded(self) -> None:
        builder = TreeBuilder()

        with pytest.raises(InvalidInput, match=r"must be bytes, got str .*encode it first"):
            builder.append("event 0")  # type: ignore[arg-type]

        assert builder.size == 0


class TestInclusionProofs:
    @pytest.mark.parametrize(("index", "size", "names"), CT_INCLUSION_PROOFS)
    def test_reproduce_and_verify_the_published_proofs(
        self, index: int, size: int, names: list[str]
    ) -> None:
        published = _hashes(names)

        proof = inclusion_proof(CT_LEAVES, index, size)

        assert proof == published
        assert verify_inclusion(index, size, CT_LEAVES[index], CT_ROOTS[size], published)

    def test_every_proof_up_to_40_entries_is_the_rfc_path_and_verifies(self) -> None:
        for size in range(1, 41):
            for index in range(size):
                proof = inclusion_proof(LOG, index, size)

                assert proof == reference_path(index, LOG[:size]), (index, size)
                assert verify_inclusion(index, size, LOG[index], LOG_ROOTS[size], proof)

    @given(st.integers(1, 40), st.data(), proof_bytes)
    def test_a_flipped_byte_fails(
        self, size: int, data: st.DataObject, flip: tuple[int, ...]
    ) -> None:
        index = data.draw(st.integers(0, size - 1))
        proof = inclusion_proof(LOG, index, size)
        assume(proof)
        element, position, mask = flip

        tampered = _flip(proof, element % len(proof), position, mask)

        assert not verify_inclusion(index, size, LOG[index], LOG_ROOTS[size], tampered)

    @given(st.integers(1, 40), st.data())
    def test_a_wrong_entry_or_root_fails(self, size: int, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, size - 1))
        other = data.draw(st.integers(0, 70).filter(lambda n: n != size))
        proof = inclusion_proof(LOG, index, size)

        assert not verify_inclusion(index, size, LOG[index] + b"!", LOG_ROOTS[size], proof)
        assert not verify_inclusion(index, size, LOG[index], LOG_ROOTS[other], proof)

    @given(st.integers(1, 40), st.integers(1, 70), st.data())
    def test_a_wrong_index_or_size_fails_unless_the_path_has_the_same_shape(
        self, size: int, other_size: int, data: st.DataObject
    ) -> None:
        # A proof binds hashes, not numbers: index 0 of 5 entries and of 6 entries have
        # siblings on the same sides, so the same hashes verify for both. The size is
        # trusted from the signed checkpoint, never from the proof.
        index = data.draw(st.integers(0, size - 1))
        other_index = data.draw(st.integers(0, other_size - 1))
        assume((other_index, other_size) != (index, size))
        proof = inclusion_proof(LOG, index, size)

        verified = verify_inclusion(other_index, other_size, LOG[index], LOG_ROOTS[size], proof)

        assert verified == (
            inclusion_sides(other_index, other_size) == inclusion_sides(index, size)
        )

    def test_a_longer_or_shorter_proof_fails(self) -> None:
        proof = inclusion_proof(LOG, 5, 13)

        for changed in [proof[:-1], [*proof, LOG_ROOTS[13]], [EMPTY_ROOT, *proof], []]:
            assert not verify_inclusion(5, 13, LOG[5], LOG_ROOTS[13], changed)

    def test_an_index_outside_the_tree_fails_verification(self) -> None:
        assert not verify_inclusion(13, 13, LOG[13], LOG_ROOTS[13], [])
        assert not verify_inclusion(0, 0, LOG[0], EMPTY_ROOT, [])

    @pytest.mark.parametrize(
        ("index", "size", "message"),
        [
            (8, 8, r"index 8 is outside a tree of 8 entries .*use an index below 8"),
            (0, 0, r"index 0 is outside a tree of 0 entries .*an empty tree includes no entry"),
            (0, 71, r"size 71 exceeds the 70 entries given"),
            (-1, 8, r"index must be an int >= 0, got -1"),
        ],
    )
    def test_cannot_be_made_for_an_index_or_size_out_of_range(
        self, index: int, size: int, message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message):
            inclusion_proof(LOG, index, size)


class TestConsistencyProofs:
    @pytest.mark.parametrize(("old_size", "new_size", "names"), CT_CONSISTENCY_PROOFS)
    def test_reproduce_and_verify_the_published_proofs(
        self, old_size: int, new_size: int, names: list[str]
    ) -> None:
        published = _hashes(names)

        proof = consistency_proof(CT_LEAVES, old_size, new_size)

        assert proof == published
        assert verify_consistency(
            old_size, new_size, CT_ROOTS[old_size], CT_ROOTS[new_size], published
        )

    def test_every_proof_up_to_40_entries_is_the_rfc_proof_and_verifies(self) -> None:
        for new_size in range(41):
            for old_size in range(new_size + 1):
                proof = consistency_proof(LOG, old_size, new_size)

                expected = reference_subproof(old_size, LOG[:new_size], True) if old_size else []
                assert proof == expected, (old_size, new_size)
                assert verify_consistency(
                    old_size, new_size, LOG_ROOTS[old_size], LOG_ROOTS[new_size], proof
                ), (old_size, new_size)

    @given(st.integers(2, 40), st.data(), proof_bytes)
    def test_a_flipped_byte_fails(
        self, new_size: int, data: st.DataObject, flip: tuple[int, ...]
    ) -> None:
        old_size = data.draw(st.integers(1, new_size - 1))
        proof = consistency_proof(LOG, old_size, new_size)
        element, position, mask = flip

        tampered = _flip(proof, element % len(proof), position, mask)

        assert not verify_consistency(
            old_size, new_size, LOG_ROOTS[old_size], LOG_ROOTS[new_size], tampered
        )

    @given(st.integers(2, 40), st.data())
    def test_a_wrong_root_fails(self, new_size: int, data: st.DataObject) -> None:
        old_size = data.draw(st.integers(1, new_size - 1))
        proof = consistency_proof(LOG, old_size, new_size)
        rewritten = [*LOG[:new_size]]
        rewritten[data.draw(st.integers(0, old_size - 1))] += b"!"  # inside both trees

        old_root, new_root = tree_head(rewritten[:old_size]), tree_head(rewritten)

        assert not verify_consistency(old_size, new_size, old_root, LOG_ROOTS[new_size], proof)
        assert not verify_consistency(old_size, new_size, LOG_ROOTS[old_size], new_root, proof)
        assert not verify_consistency(
            old_size, new_size, LOG_ROOTS[new_size], LOG_ROOTS[old_size], proof
        )

    @given(st.integers(2, 40), st.integers(2, 70), st.data())
    def test_wrong_sizes_fail_unless_the_proof_has_the_same_shape(
        self, new_size: int, other_new: int, data: st.DataObject
    ) -> None:
        old_size = data.draw(st.integers(1, new_size - 1))
        other_old = data.draw(st.integers(1, other_new - 1))
        assume((other_old, other_new) != (old_size, new_size))
        proof = consistency_proof(LOG, old_size, new_size)

        verified = verify_consistency(
            other_old, other_new, LOG_ROOTS[old_size], LOG_ROOTS[new_size], proof
        )

        same_shape = consistency_sides(other_old, other_new) == consistency_sides(
            old_size, new_size
        )
        assert verified == same_shape

    def test_a_longer_or_shorter_proof_fails(self) -> None:
        proof = consistency_proof(LOG, 6, 13)
        old, new = LOG_ROOTS[6], LOG_ROOTS[13]

        for changed in [proof[:-1], [*proof, new], [proof[0], *proof], []]:
            assert not verify_consistency(6, 13, old, new, changed)

    def test_the_edges_follow_from_the_definitions(self) -> None:
        root = LOG_ROOTS[9]

        assert verify_consistency(9, 9, root, root, [])
        assert not verify_consistency(9, 9, root, LOG_ROOTS[8], [])
        assert not verify_consistency(9, 9, root, root, [root])
        assert verify_consistency(0, 9, EMPTY_ROOT, root, [])
        assert not verify_consistency(0, 9, root, root, [])
        assert not verify_consistency(9, 8, root, LOG_ROOTS[8], [])

    @pytest.mark.parametrize(
        ("old_size", "new_size", "message"),
        [
            (9, 8, r"old_size 9 exceeds new_size 8 .*give the smaller size first"),
            (3, 71, r"new_size 71 exceeds the 70 entries given"),
            (-1, 8, r"old_size must be an int >= 0, got -1"),
            (True, 8, r"old_size must be an int >= 0, got True"),
        ],
    )
    def test_cannot_be_made_for_sizes_out_of_range(
        self, old_size: int, new_size: int, message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message):
            consistency_proof(LOG, old_size, new_size)

    def test_a_negative_size_is_refused_by_the_verifier_too(self) -> None:
        with pytest.raises(InvalidInput, match=r"new_size must be an int >= 0, got -2"):
            verify_consistency(1, -2, EMPTY_ROOT, EMPTY_ROOT, [])
