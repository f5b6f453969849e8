"""YAML from repositories, parsed with bounds: a size limit per document and a budget for alias expansion.

A few hundred bytes of nested aliases (a "billion laughs" document) expand to millions of nodes for
whoever walks the result. DVC never writes aliases in `dvc.lock`; people use a few in `dvc.yaml` and
`params.yaml`, so aliases are allowed up to a budget of expanded nodes, then the document is refused.
Nesting is bounded too (for JSON and TOML documents as well, through `check_depth`): a few kilobytes of
`[[[[...` would otherwise exhaust Python's recursion in the parser or in whatever walks the result.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_BYTES = 16 << 20  # one document
MAX_ALIAS_NODES = 100_000  # nodes that aliases add when expanded, summed over the document
MAX_DEPTH = 100  # nested mappings and lists in one document (DVC's files use fewer than ten)


class Refused(Exception):
    """The document exceeds a bound; the message says which."""


def parse(text: bytes | str) -> Any:
    """The document as `yaml.safe_load` reads it; `Refused` past a bound, `yaml.YAMLError` if malformed."""
    if len(text) > MAX_BYTES:
        raise Refused(f"larger than {MAX_BYTES >> 20} MiB")
    loader = _loader_class()(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise Refused(f"it is nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, OverflowError):  # a date out of range, an integer of more than 4,300 digits
        raise Refused("it holds a value that cannot be read (a number or date out of range)") from None
    finally:
        loader.dispose()


def check_depth(doc: Any) -> Any:
    """The parsed document itself; `Refused` when its mappings and lists nest deeper than MAX_DEPTH."""
    level: list[Any] = [doc]
    for _ in range(MAX_DEPTH + 1):
        level = [c for node in level if isinstance(node, dict | list) for c in _children(node)]
        if not level:
            return doc
    raise Refused(f"it is nested deeper than {MAX_DEPTH} levels")


def _children(node: dict | list) -> list[Any]:
    return list(node.values()) if isinstance(node, dict) else node


@functools.cache
def _loader_class() -> type:
    """yaml's safe loader, counting the nodes each alias adds (made once, on first use).

    Scanning and parsing run in libyaml's C parser when PyYAML has it (six times faster); composing nodes
    stays in Python, in yaml's own Composer, so the bounds below see every node before it is built.
    """
    import yaml  # here, not at the top: `trail ls` never parses YAML
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    base: Any = yaml.SafeLoader
    if yaml.__with_libyaml__:
        from yaml._yaml import CParser

        class CLoader(Composer, CParser, SafeConstructor, Resolver):
            def __init__(self, stream: Any) -> None:
                CParser.__init__(self, stream)
                Composer.__init__(self)
                SafeConstructor.__init__(self)
                Resolver.__init__(self)

        base = CLoader

    class Loader(base):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.expanded = 0
            self.depth = 0
            self.sizes: dict[int, int] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                anchor = self.peek_event().anchor
                if anchor in self.anchors:
                    self.expanded += _size(self.anchors[anchor], self.sizes)
                    if self.expanded > MAX_ALIAS_NODES:
                        raise Refused(f"its aliases expand to more than {MAX_ALIAS_NODES:,} nodes")
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Refused(f"it is nested deeper than {MAX_DEPTH} levels")
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def _size(node: Any, sizes: dict[int, int]) -> int:
    """Nodes in a composed YAML node once every alias inside it is expanded (memoised per node)."""
    key = id(node)
    if key not in sizes:
        sizes[key] = 0  # a recursive alias counts once instead of looping
        value = node.value
        if isinstance(value, list):
            children = [item for pair in value for item in pair] if value and isinstance(value[0], tuple) else value
            sizes[key] = 1 + sum(_size(child, sizes) for child in children)
        else:
            sizes[key] = 1
    return sizes[key]
