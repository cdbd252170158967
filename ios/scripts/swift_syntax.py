"""Shared tree-sitter Swift helpers for the iOS checks (check_swift.py)."""
import re
from pathlib import Path

import tree_sitter
import tree_sitter_swift

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))

# UniFFI's generated file hides helpers from the docs with
#   #if swift(>=5.8)
#   @_documentation(visibility: private)
#   #endif
# an attribute split from its declaration by `#endif`, which the grammar
# cannot attach; the lines carry no API, so they are dropped before parsing.
_DOC_ATTRIBUTE = re.compile(
    r"^[ \t]*#if swift\(>=5\.8\)\n[ \t]*@_documentation\(visibility: private\)\n[ \t]*#endif\n", re.M)


def parse(source: bytes):
    return PARSER.parse(source)


def parse_generated(path: Path):
    text = _DOC_ATTRIBUTE.sub("", path.read_text())
    return PARSER.parse(text.encode())


def errors(node, found=None):
    """Every ERROR and MISSING node under `node`."""
    if found is None:
        found = []
    if node.is_error or node.is_missing:
        found.append(node)
    for child in node.children:
        errors(child, found)
    return found


def text(node) -> str:
    return node.text.decode() if node is not None else ""


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


def top_level(node):
    """The declaration directly under the file that contains `node`."""
    while node.parent is not None and node.parent.type != "source_file":
        node = node.parent
    return node
