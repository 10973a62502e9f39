"""OSA PII protection engine: detect, protect, audit and index personal data.

Plain Python + polars; no Dagster imports. See docs/pii.md.

    from osa.pii import PiiEngine, PiiKeys, Policy, PolicyContext

    engine = PiiEngine(PiiKeys.from_env(allow_dev_keys=False), Policy.default())
    result = engine.protect_frame(df, table="silver.leads", record_id_column="lead_id",
                                  context=PolicyContext(operation="storage"))
"""

from .analyzer import Analyzer, resolve_overlaps
from .engine import AUDIT_SCHEMA, SCAN_SCHEMA, SUBJECT_SCHEMA, PiiEngine, ProtectionResult
from .fields import FieldHint, classify_field
from .keys import PiiKeyError, PiiKeys, generate_key
from .operators import TOKEN_PATTERN, DecryptionError, Operators
from .policy import CLASSIFICATIONS, MODES, OPERATIONS, ROLES, Policy, PolicyContext, PolicyError, Rule
from .recognizers import Recognizer, all_recognizers, enabled_recognizers
from .types import ALL_TYPES, HIGH_RISK_TYPES, SUBJECT_TYPES, Finding, PiiType

__all__ = [
    "ALL_TYPES",
    "AUDIT_SCHEMA",
    "CLASSIFICATIONS",
    "HIGH_RISK_TYPES",
    "MODES",
    "OPERATIONS",
    "ROLES",
    "SCAN_SCHEMA",
    "SUBJECT_SCHEMA",
    "SUBJECT_TYPES",
    "TOKEN_PATTERN",
    "Analyzer",
    "DecryptionError",
    "FieldHint",
    "Finding",
    "Operators",
    "PiiEngine",
    "PiiKeyError",
    "PiiKeys",
    "PiiType",
    "Policy",
    "PolicyContext",
    "PolicyError",
    "ProtectionResult",
    "Recognizer",
    "Rule",
    "all_recognizers",
    "enabled_recognizers",
    "classify_field",
    "generate_key",
    "resolve_overlaps",
]
