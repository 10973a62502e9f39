"""The read-only query path behind `osa query`: one SELECT-like statement, bounded in time, that can neither
write, read files, nor change the session it runs in.

Each backend enforces it with its own machinery (`Warehouse.query_readonly`); this module holds what they
share: the refusal type, the default timeout and, for PostgreSQL, a conservative lexical check of the
statement (Python cannot run the server's parser, and PostgreSQL has no "read-only role you cannot leave").

PostgreSQL, in layers (each one alone stops some attack; together they stop every known one):

1. lexical check here: the first keyword is SELECT/WITH/VALUES/TABLE/EXPLAIN, nothing follows a `;`, and no
   function that can change the role, run SQL text or signal other sessions is named anywhere
   (``set_config`` would undo ``SET LOCAL ROLE``; ``query_to_xml`` runs any SQL; ...);
2. one statement only: it is sent as a prepared statement (extended protocol), which the server refuses
   to hold more than one command;
3. ``BEGIN READ ONLY``, a query taking the snapshot before the user's statement (so the transaction can no
   longer be made read-write), and ``ROLLBACK`` at the end whatever happened (non-read-only-checked side
   effects such as ``lo_create`` vanish);
4. ``SET LOCAL ROLE <database>_reader`` (sql/postgres/V005): a NOLOGIN role with only USAGE on the schema
   and SELECT on its tables, so ownership-based functions (TimescaleDB's drop_chunks, ...) and signalling
   the warehouse role's sessions are refused by the server too;
5. ``SET LOCAL statement_timeout``.
"""

from __future__ import annotations

import re

DEFAULT_TIMEOUT_S = 30.0


class ReadOnlyQueryRefused(ValueError):
    """The statement is not a single read-only query; the message is one line for the user."""


# Statement keywords a read-only query may start with (after comments and opening parentheses).
PG_ALLOWED_FIRST = frozenset({"select", "with", "values", "table", "explain"})

# Functions refused anywhere in the text (compared by name, schema-qualified or quoted alike). The first
# group escapes the reader role or runs arbitrary SQL text; the rest have effects outside the transaction
# or on other sessions (the reader role would refuse most, but the check does not depend on it).
PG_REFUSED_FUNCTIONS = frozenset(
    {
        "set_config",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "dblink",
        "dblink_exec",
        "dblink_open",
        "dblink_send_query",
        "dblink_connect",
        "dblink_connect_u",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_log_backend_memory_contexts",
        "pg_advisory_lock",
        "pg_advisory_lock_shared",
        "pg_advisory_xact_lock",
        "pg_advisory_xact_lock_shared",
        "pg_try_advisory_lock",
        "pg_try_advisory_lock_shared",
        "pg_try_advisory_xact_lock",
        "pg_try_advisory_xact_lock_shared",
        "pg_notify",
        "lo_import",
        "lo_export",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_file_write",
        "pg_logical_emit_message",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_stat_reset",
        "pg_stat_reset_shared",
        "pg_stat_reset_single_table_counters",
        "pg_stat_reset_single_function_counters",
        "pg_stat_reset_slru",
        "pg_stat_reset_replication_slot",
        "pg_stat_reset_subscription_stats",
        "run_job",
    }
)

_WORD = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def pg_tokens(sql_text: str) -> list[tuple[str, str]]:
    """A conservative PostgreSQL lexer: (kind, text) pairs, kind in word/ident/semicolon/other. String
    literals, dollar-quoted bodies and comments are skipped. Where the lexer could read less of the text as
    code than the server does, it refuses instead (unicode-escaped identifiers)."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(sql_text)
    while i < n:
        ch = sql_text[i]
        if ch.isspace():
            i += 1
        elif sql_text.startswith("--", i):
            end = sql_text.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql_text.startswith("/*", i):  # PostgreSQL nests these; ending at the first */ reads more as code
            end = sql_text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == "'":
            escapes = bool(tokens) and tokens[-1] == ("word", "e") and i > 0 and sql_text[i - 1] in "eE"
            if escapes:
                tokens.pop()
            i = _skip_quoted(sql_text, i, "'", backslash=escapes)
        elif ch == '"':
            if i > 0 and sql_text[i - 1] == "&":
                raise ReadOnlyQueryRefused('unicode-escaped identifiers (U&"...") are not accepted')
            end = _skip_quoted(sql_text, i, '"', backslash=False)
            tokens.append(("ident", sql_text[i + 1 : end - 1].replace('""', '"')))
            i = end
        elif ch == "$" and (match := _DOLLAR_TAG.match(sql_text, i)):
            tag = match.group(0)
            end = sql_text.find(tag, i + len(tag))
            i = n if end < 0 else end + len(tag)
        elif match := _WORD.match(sql_text, i):
            tokens.append(("word", match.group(0).lower()))
            i = match.end()
        elif ch == ";":
            tokens.append(("semicolon", ch))
            i += 1
        else:
            tokens.append(("other", ch))
            i += 1
    return tokens


def _skip_quoted(text: str, start: int, quote: str, *, backslash: bool) -> int:
    """The index just past the literal opening at `start` (doubled quotes and, in E'' strings, backslash
    escapes stay inside it); an unterminated literal runs to the end."""
    i, n = start + 1, len(text)
    while i < n:
        if backslash and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def check_pg_readonly(sql_text: str) -> None:
    """Refuse anything but one SELECT-like PostgreSQL statement naming no refused function."""
    tokens = pg_tokens(sql_text)
    while tokens and tokens[-1][0] == "semicolon":
        tokens.pop()
    if not tokens:
        raise ReadOnlyQueryRefused("empty query")
    if any(kind == "semicolon" for kind, _ in tokens):
        raise ReadOnlyQueryRefused("only one statement is accepted")
    first = next((text for kind, text in tokens if not (kind == "other" and text == "(")), "")
    if first not in PG_ALLOWED_FIRST:
        raise ReadOnlyQueryRefused(
            f"only read-only queries are accepted (SELECT, WITH, VALUES, TABLE, EXPLAIN), not {first.upper()!s}"
        )
    for kind, text in tokens:
        name = text if kind == "ident" else text.lower()
        if kind in ("word", "ident") and name in PG_REFUSED_FUNCTIONS:
            raise ReadOnlyQueryRefused(f"{name} is not allowed in a read-only query")
