"""Exploratory data analysis: will this dataset make a model converge or collapse?

`run_eda` streams a canonical dataset once into two frames (examples, images), summarises them into
`summary.json` (counts, lengths in characters and target-model tokens, image stats, answer types, imbalance
and quality findings), draws PNG charts and dumps CSV tables. The HTML report is rendered by `reports.eda`.
"""

from harness.eda.charts import CHART_SIZE_PX, CHART_TITLES, make_charts
from harness.eda.frames import build_frames
from harness.eda.pipeline import EdaResult, run_eda
from harness.eda.summary import (
    ANSWER_TYPES,
    DEFAULT_MAX_DOMAIN_SHARE,
    DEFAULT_MIN_SUBDOMAIN_EXAMPLES,
    describe,
    summarize,
)
from harness.eda.tables import build_tables, write_tables
from harness.eda.tokens import (
    TINY_TOKENIZER,
    TokenCounter,
    load_token_counter,
    resolve_token_counter,
)

__all__ = [
    "TINY_TOKENIZER",
    "resolve_token_counter",
    "ANSWER_TYPES",
    "CHART_SIZE_PX",
    "CHART_TITLES",
    "DEFAULT_MAX_DOMAIN_SHARE",
    "DEFAULT_MIN_SUBDOMAIN_EXAMPLES",
    "EdaResult",
    "TokenCounter",
    "build_frames",
    "build_tables",
    "describe",
    "load_token_counter",
    "make_charts",
    "run_eda",
    "summarize",
    "write_tables",
]
