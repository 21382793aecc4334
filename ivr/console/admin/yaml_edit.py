"""Change values in YAML text in place: exactly the values that differ are rewritten, and every
other byte (comments, quoting, spacing, key order, blank lines) stays as the admin wrote it.

ruamel.yaml composes the text into nodes that know where they start and end and how they are
written (plain or quoted, block or flow); a changed value is written in the style of the one it
replaces by ruamel's own emitter, and put where the old one was. (A whole round-trip dump would
keep comments, but re-space flow mappings aligned in columns, like the SLA table and the
priority matrix: lines the form never touched would change.) PyYAML, the loader the line reads
scripts and policies with, decides which values differ and checks every rewritten value reads
back as meant.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from .yaml_errors import YamlEditError

QUOTED = {'"': DoubleQuotedScalarString, "'": SingleQuotedScalarString,
          "|": LiteralScalarString, ">": FoldedScalarString}
MISSING = object()
COMMENT_AFTER = re.compile(r"( +)#")  # spaces, then a comment on the rest of the line


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str
    order: int  # among edits at one place: the one made first ends up first


def set_value(text: str, path: Sequence[str], value: Any) -> str:
    """TEXT with the value at PATH (a key at each level) made VALUE, changing nothing else.

    A mapping VALUE is merged key by key: keys it lacks are removed, new keys are added after
    their siblings, unchanged keys keep their text. Missing parents are added."""
    if not path:
        raise ValueError("an empty path")
    editor = _Editor(text)
    editor.set(list(path), value)
    new = editor.result()
    if _get(yaml.safe_load(new), path) != value:
        raise YamlEditError(f"{'.'.join(path)} would not read back as {value!r}")
    return new


def _get(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        data = _lookup(data, key)
        if data is MISSING:
            return MISSING
    return data


def _lookup(data: Any, key: str) -> Any:
    if not isinstance(data, dict):
        return MISSING
    return next((v for k, v in data.items() if str(k) == key), MISSING)


def _end(node: Node) -> int:
    """Where the node's own text ends (a block collection's trailing comments left out)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _end(node.value[-1][1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _end(node.value[-1])
    return node.end_mark.index


def _is_block(node: Node) -> bool:
    return isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style


class _Editor:
    def __init__(self, text: str):
        self.text = text
        try:
            self.root = YAML().compose(text)
        except YAMLError as exc:
            raise YamlEditError(f"the text does not parse: {exc}") from None
        self.data = yaml.safe_load(text) if text.strip() else None
        self.edits: list[_Edit] = []

    def result(self) -> str:
        out = self.text
        for edit in sorted(self.edits, key=lambda e: (e.start, e.order), reverse=True):
            out = out[:edit.start] + edit.text + out[edit.end:]
        return out

    def _edit(self, start: int, end: int, text: str) -> None:
        self.edits.append(_Edit(start, end, text, -len(self.edits)))

    # ---- finding and merging ------------------------------------------------------------

    def set(self, path: list[str], value: Any) -> None:
        if not isinstance(self.root, MappingNode):
            if self.root is not None and not (isinstance(self.root, ScalarNode)
                                              and self.root.value == ""):
                raise YamlEditError("the document is not a mapping")
            self._append_top(path[0], _nest(path[1:], value))
            return
        self._set_in(self.root, self.data, path, value)

    def _set_in(self, node: MappingNode, old: Any, path: list[str], value: Any) -> None:
        key, rest = path[0], path[1:]
        pair = _pair(node, key)
        old_value = _lookup(old, key)
        if pair is None:
            self._insert(node, key, _nest(rest, value))
        elif rest and isinstance(pair[1], MappingNode):
            self._set_in(pair[1], old_value, rest, value)
        elif rest:
            self._replace(pair[0], pair[1], _nest(rest, value))
        else:
            self._merge(pair[0], pair[1], old_value, value)

    def _merge(self, key: Node, node: Node, old: Any, new: Any) -> None:
        if old is not MISSING and old == new and type(old) is type(new):
            return
        if isinstance(new, dict) and new and isinstance(node, MappingNode) and \
                isinstance(old, dict):
            for key, value in new.items():
                self._set_in(node, old, [str(key)], value)
            for key_node, value_node in node.value:
                if key_node.value not in {str(k) for k in new}:
                    self._delete(node, key_node, value_node)
            return
        self._replace(key, node, new)

    # ---- writing --------------------------------------------------------------------------

    def _replace(self, key: Node, node: Node, value: Any) -> None:
        end = _end(node)
        if _is_block(node) and isinstance(value, (dict, list)) and value:
            indent = node.start_mark.column
            block = _render(value, node, flow=False, indent=indent)
            self._edit(node.start_mark.index, end, block[indent:])
        elif _is_block(node):  # written on the key's line from now on
            self._edit(key.end_mark.index, end, ": " + _render(value, node, flow=True))
        else:
            self._replace_inline(node.start_mark.index, end, _render(value, node, flow=True))

    def _replace_inline(self, start: int, end: int, text: str) -> None:
        """Replace a value on one line; a comment after it keeps its column if it can."""
        comment = COMMENT_AFTER.match(self.text, end)
        if comment and "\n" not in text:
            spaces = len(comment.group(1)) - (len(text) - (end - start))
            text += " " * max(1, spaces)
            end = comment.end(1)
        self._edit(start, end, text)

    def _insert(self, node: MappingNode, key: str, value: Any) -> None:
        """A new key after the mapping's last one, written like its siblings."""
        like_key, like_value = node.value[-1] if node.value else (None, None)
        key_text = _render(key, like_key, flow=True)
        if node.flow_style:
            at = _end(like_value) if like_value is not None else node.start_mark.index + 1
            sep = ", " if like_value is not None else ""
            self._edit(at, at, f"{sep}{key_text}: {_render(value, like_value, flow=True)}")
            return
        assert like_key is not None and like_value is not None  # a block mapping has a key
        indent = like_key.start_mark.column
        at = self._line_end(_end(like_value))
        self._edit(at, at, self._entry(key_text, value, like_value, indent))

    def _append_top(self, key: str, value: Any) -> None:
        text = self.text
        lead = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n")
                                                                else "\n\n")
        self._edit(len(text), len(text), lead + self._entry(_render(key, None, flow=True),
                                                            value, None, 0))

    def _entry(self, key_text: str, value: Any, like: Node | None, indent: int) -> str:
        """`key: value` lines at INDENT, ending with a newline."""
        pad = " " * indent
        if isinstance(value, (dict, list)) and value and (like is None or _is_block(like)):
            inner = indent + (2 if isinstance(value, dict) or like is None
                              else like.start_mark.column - indent)
            return f"{pad}{key_text}:\n{_render(value, like, flow=False, indent=inner)}\n"
        return f"{pad}{key_text}: {_render(value, like, flow=True)}\n"

    def _delete(self, node: MappingNode, key_node: Node, value_node: Node) -> None:
        if node.flow_style:
            start, end = key_node.start_mark.index, _end(value_node)
            after = self.text[end:]
            gap = len(after) - len(after.lstrip(" "))
            if after[gap:gap + 1] == ",":  # "a: 1, b: 2" loses "a: 1, "
                rest = after[gap + 1:]
                end += gap + 1 + len(rest) - len(rest.lstrip(" "))
            else:  # the last one: ", b: 2" goes
                before = self.text[:start].rstrip(" ")
                if before.endswith(","):
                    start = len(before) - 1
            self._edit(start, end, "")
            return
        start = self.text.rfind("\n", 0, key_node.start_mark.index) + 1
        self._edit(start, self._line_end(_end(value_node)), "")

    def _line_end(self, index: int) -> int:
        """The start of the line after the one holding INDEX (its comment stays on it)."""
        newline = self.text.find("\n", index)
        return len(self.text) if newline < 0 else newline + 1


def _pair(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    return next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == key),
                None)


def _nest(path: list[str], value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def _styled(value: Any, like: Node | None, flow: bool, plain: bool = False) -> Any:
    """VALUE as ruamel objects written the way LIKE is (quoting, flow or block). FLOW: this
    collection is written inline; inside a block one, each child follows its own example."""
    if isinstance(value, (dict, list)) and not flow and isinstance(like, (MappingNode,
                                                                        SequenceNode)):
        flow = bool(like.flow_style)
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            pair = _pair(like, str(key)) if isinstance(like, MappingNode) else None
            item_like = pair[1] if pair else (like.value[0][1] if isinstance(like, MappingNode)
                                              and like.value else None)
            mapping[key] = _styled(item, item_like, flow, plain)
        mapping.fa.set_flow_style() if flow else mapping.fa.set_block_style()
        return mapping
    if isinstance(value, list):
        item_like = like.value[0] if isinstance(like, SequenceNode) and like.value else None
        seq = CommentedSeq(_styled(item, item_like, flow, plain) for item in value)
        seq.fa.set_flow_style() if flow else seq.fa.set_block_style()
        return seq
    if isinstance(value, str):
        style = like.style if isinstance(like, ScalarNode) else None
        if plain and style not in QUOTED:
            style = '"'
        return QUOTED[style](value) if style in QUOTED else value
    return value


def _dump(value: Any, indent: int) -> str:
    out = io.StringIO()
    dumper = YAML()
    dumper.width = 1_000_000  # never fold a long line
    dumper.indent(mapping=2, sequence=4, offset=2)
    dumper.dump(value, out)
    text = textwrap.dedent(out.getvalue())  # ruamel offsets a top-level sequence's dashes
    text = text.removesuffix("\n...\n").removesuffix("\n")
    return "\n".join(" " * indent + line if line else line for line in text.split("\n"))


def _render(value: Any, like: Node | None, flow: bool, indent: int = 0) -> str:
    """VALUE's text in LIKE's style; plain strings PyYAML would read otherwise get quotes."""
    text = _dump(_styled(value, like, flow), indent)
    if _reads_as(text, value):
        return text
    return _dump(_styled(value, like, flow, plain=True), indent)


def _reads_as(text: str, value: Any) -> bool:
    try:
        read = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # e.g. 2026-13-45 looks like a date and is none
        return False
    return bool(read == value)
