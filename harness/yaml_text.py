"""Reading configuration YAML the way people write it.

PyYAML follows YAML 1.1, where `1e-3` (no dot, a sign in the exponent) is a *string*; users write learning
rates that way and then got "grpo.learning_rate = '1e-3' (str) does not fit float". This loader resolves
YAML 1.2 floats (`1e-3`, `5E+4`, `.5`) as floats and is otherwise `yaml.SafeLoader` (nothing executes).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["load_yaml"]


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 float syntax."""


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
# Replace the 1.1 float resolver (first characters as in PyYAML's own registration).
_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def load_yaml(text: str) -> Any:
    """Parse configuration text (safe: plain data only)."""
    return yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader subclass
