"""The auditor's toolkit: prove that the history of the cases was never rewritten.

Merkle tree heads and proofs over the global event log (RFC 9162), signed checkpoints
of the log, and the checks an auditor runs against them.
"""
