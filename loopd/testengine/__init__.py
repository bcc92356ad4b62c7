"""The test engine: evidence-driven fixing, failure clusters, deterministic regression.

:class:`EvidenceTestEngine` implements the loop's ``TestEngine`` port.  A
round checks every pending test that has a command plus the next one that
needs the test-runner agent, stores redacted evidence for each failure,
gives each cluster of failures sharing a signature ONE fix agent (with the
evidence and the test's attempt history), and re-tests.  Regression checks
re-run passing tests by command, with no agent call.
"""

from loopd.redact import Redactor
from loopd.testengine.changes import Changes
from loopd.testengine.engine import EvidenceTestEngine
from loopd.testengine.evidence import EvidenceRecord, Observation
from loopd.testengine.regression import SweepReport
from loopd.testengine.signature import signature

__all__ = [
    "Changes",
    "EvidenceRecord",
    "EvidenceTestEngine",
    "Observation",
    "Redactor",
    "SweepReport",
    "signature",
]
