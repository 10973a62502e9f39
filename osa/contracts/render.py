"""Render the declarative contracts as Markdown tables for docs/data-contracts.md."""

from __future__ import annotations

from osa.contracts.intake import INTAKE_FORM
from osa.contracts.opal import AGENT_DATA, AGENT_SLAS, WORKFLOW_PAYLOAD
from osa.contracts.spec import Contract, Field

BEGIN = "<!-- BEGIN GENERATED CONTRACT TABLES (python -m osa.contracts.render) -->"
END = "<!-- END GENERATED CONTRACT TABLES -->"


def _rule(field: Field) -> str:
    parts = []
    if field.min_length is not None:
        parts.append(
            f"at least {field.min_length} {'item' if 'list' in field.kind else 'character'}"
            f"{'s' if field.min_length != 1 else ''}"
        )
    if field.enum:
        parts.append("one of " + "\\|".join(field.enum))
    if field.minimum is not None or field.maximum is not None:
        parts.append(
            f"range {field.minimum if field.minimum is not None else '-inf'}..."
            f"{field.maximum if field.maximum is not None else 'inf'}"
        )
    if field.pattern:
        parts.append(f"matches `{field.pattern}`")
    if field.description:
        parts.append(field.description)
    return "; ".join(parts)


def table(contract: Contract, prefix: str = "") -> str:
    rows = ["| field | type | required | rule |", "|---|---|---|---|"]
    rows += [
        f"| `{prefix}{f.path}` | {f.kind} | {'yes' if f.required else 'no'} | {_rule(f)} |" for f in contract.fields
    ]
    return "\n".join(rows)


def render() -> str:
    out = [
        BEGIN,
        "",
        "### Intake form fields",
        "",
        table(INTAKE_FORM),
        "",
        "### Webhook body (`OpalWorkflowPayload`)",
        "",
        table(WORKFLOW_PAYLOAD),
        "",
        "### Agent SLAs",
        "",
        "| agent | max execution ms | confidence threshold |",
        "|---|---|---|",
    ]
    out += [
        f"| {agent} | {sla.max_execution_ms} | {sla.confidence_threshold:.2f} |" for agent, sla in AGENT_SLAS.items()
    ]
    for agent, contract in AGENT_DATA.items():
        out += ["", f"### `agent_data` of `{agent}`", "", contract.description, "", table(contract, "agent_data.")]
    out += ["", END]
    return "\n".join(out)


if __name__ == "__main__":
    print(render())
