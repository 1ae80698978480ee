"""Token counts of prompts as the target model sees them, images included, without decoding images.

A VLM prompt's length is dominated by image tokens: SmolVLM's Idefics3 processor turns each `<image>` into
one block of `image_seq_len` tokens per 512 px tile plus a global view, so one large figure costs ~1k tokens.
Running the processor on every image would resize each one to 2048 px (~0.3 s apiece); instead the image
part comes from the processor's own size formula (`_get_num_multimodal_tokens`, the hook vLLM uses, which
reads `do_image_splitting`, `size.longest_edge`, `max_image_size` and `image_seq_len` from the loaded
config), and the text part from tokenizing the chat-templated prompt with its `<image>` placeholders. The two
add up to exactly what `processor(text=..., images=...)` returns (checked against real calls in the tests).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
IMAGE_METHOD_SIZE_FORMULA = "processor size formula (_get_num_multimodal_tokens on width/height)"
IMAGE_METHOD_NONE = "not counted (tokenizer only, or the processor has no size formula)"


# Prompt builders mark images with this placeholder (as lm-eval's doc_to_text does); the chat template or, for
# plain prompts, a substitution turns it into the processor's own image token.
PLACEHOLDER = "<image>"
PromptBuilder = Callable[[str, int], str]


def default_prompt_text(question: str, n_images: int) -> str:
    """The run's default prompt (`harness.data.prompt`): images, question, instruction, as training and
    evaluation ask it; callers with another prompt pass its `placeholder_text`."""
    from harness.data import PromptSpec

    return PromptSpec().placeholder_text(question, n_images)


def _content_blocks(text: str) -> list[dict[str, str]]:
    """Split a prompt with placeholders into chat content blocks, as lm-eval's hf-multimodal does."""
    content: list[dict[str, str]] = []
    parts = text.split(PLACEHOLDER)
    for index, part in enumerate(parts):
        if part:
            content.append({"type": "text", "text": part})
        if index < len(parts) - 1:
            content.append({"type": "image"})
    return content


@dataclass(frozen=True)
class TokenizerInfo:
    """What the token columns mean, carried into the summary so readers know which model they describe."""

    name: str
    prompt_format: str  # "chat template" or "plain: <image>… then the question"
    image_method: str
    counts_image_tokens: bool
    model_max_length: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "available": True,
            "name": self.name,
            "prompt_format": self.prompt_format,
            "image_method": self.image_method,
            "counts_image_tokens": self.counts_image_tokens,
            "model_max_length": self.model_max_length,
        }


class TokenCounter:
    """Counts text and prompt tokens for a processor (text + images) or a bare tokenizer (text only)."""

    def __init__(
        self,
        processor_or_tokenizer: Any,
        *,
        name: str | None = None,
        use_chat_template: bool = True,
        prompt_builder: PromptBuilder | None = None,
    ):
        obj = processor_or_tokenizer
        self.prompt_builder = prompt_builder or default_prompt_text
        self.processor = obj if getattr(obj, "image_processor", None) is not None else None
        inner = getattr(obj, "tokenizer", None)
        self.tokenizer = inner if inner is not None else obj
        if not callable(self.tokenizer):
            raise TypeError(f"expected a transformers processor or tokenizer, got {type(obj).__name__}")
        self.image_token: str = getattr(self.processor, "image_token", None) or "<image>"
        self._template_owner = self._chat_template_owner(obj) if use_chat_template else None
        if self._template_owner is not None and not self._template_renders():
            self._template_owner = None
        self._image_cache: dict[tuple[int, int], int | None] = {}
        self._placeholder_len = len(self._encode(self.image_token, special=False))
        self.counts_image_tokens = self._size_formula_works()
        max_len = getattr(self.tokenizer, "model_max_length", None)
        self.info = TokenizerInfo(
            name=name or str(getattr(self.tokenizer, "name_or_path", "") or type(obj).__name__),
            prompt_format=("chat template" if self._template_owner is not None else "plain text (no chat template)")
            + f" around {getattr(self.prompt_builder, '__module__', '?')}"
            + f".{getattr(self.prompt_builder, '__qualname__', '?')}",
            image_method=IMAGE_METHOD_SIZE_FORMULA if self.counts_image_tokens else IMAGE_METHOD_NONE,
            counts_image_tokens=self.counts_image_tokens,
            model_max_length=int(max_len) if isinstance(max_len, int) and 0 < max_len < 10**7 else None,
        )

    @staticmethod
    def _chat_template_owner(obj: Any) -> Any | None:
        for owner in (obj, getattr(obj, "tokenizer", None)):
            if owner is not None and getattr(owner, "chat_template", None):
                return owner
        return None

    def _template_renders(self) -> bool:
        try:
            return isinstance(self.prompt("probe", 1 if self.processor is not None else 0), str)
        except Exception as exc:  # noqa: BLE001 - templates for text-only chat reject image blocks, some reject roles
            log.warning("chat template of %s does not render a user turn (%s); using a plain prompt",
                        type(self.tokenizer).__name__, exc)
            return False

    def _encode(self, text: str, *, special: bool = True) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def _size_formula_works(self) -> bool:
        if self.processor is None or not hasattr(self.processor, "_get_num_multimodal_tokens"):
            return False
        try:
            return self.image_tokens(512, 512) is not None
        except Exception as exc:  # noqa: BLE001 - a processor without the hook for images: say so, count text only
            log.warning("image token formula unavailable for %s: %s", type(self.processor).__name__, exc)
            return False

    def image_tokens(self, width: int, height: int) -> int | None:
        """Tokens one image of this size expands to; cached per size (datasets repeat sizes a lot)."""
        key = (int(width), int(height))
        if key not in self._image_cache:
            data = self.processor._get_num_multimodal_tokens(image_sizes=[(key[1], key[0])])
            counts = getattr(data, "num_image_tokens", None)
            self._image_cache[key] = int(counts[0]) if counts else None
        return self._image_cache[key]

    def count_texts(self, texts: Sequence[str]) -> list[int]:
        """Tokens of bare strings (no special tokens): question and answer lengths."""
        if not texts:
            return []
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def prompt(self, question: str, n_images: int) -> str:
        """The user turn as the model sees it (prompt builder, then chat template with the assistant cue)."""
        if self.processor is None:
            n_images = 0  # a bare tokenizer has no image placeholder to expand
        text = self.prompt_builder(question, n_images)
        if self._template_owner is None:
            return text.replace(PLACEHOLDER, self.image_token) if self.image_token != PLACEHOLDER else text
        content: Any = text if self.processor is None else _content_blocks(text)
        return self._template_owner.apply_chat_template(
            [{"role": "user", "content": content}], add_generation_prompt=True, tokenize=False
        )

    def prompt_text_tokens(self, question: str, n_images: int) -> int:
        """Prompt tokens other than image tokens (template, question, special tokens the processor adds)."""
        placeholders = n_images if self.processor is not None else 0
        return len(self._encode(self.prompt(question, n_images))) - placeholders * self._placeholder_len


def describe_unavailable(reason: str) -> dict[str, Any]:
    """The `tokenizer` block of a summary whose token statistics could not be computed."""
    return {"available": False, "reason": reason}


def _hub_unreachable(repo_id: str, timeout_s: float = 5.0) -> str | None:
    """Why `repo_id` cannot be fetched from the hub right now, or None if it can.

    transformers retries each file for minutes when the network is down; one short metadata request first
    turns that into a prompt "continuing without token statistics".
    """
    import huggingface_hub

    if huggingface_hub.constants.HF_HUB_OFFLINE:
        return "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set"
    try:
        huggingface_hub.HfApi().model_info(repo_id, timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - DNS, timeout, 401/404: all mean "cannot download it now"
        return f"the Hugging Face Hub did not answer for it ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
    return None


def _load(loader: Any, name_or_path: str, errors: list[str], **kwargs: Any) -> Any | None:
    try:
        return loader.from_pretrained(name_or_path, **kwargs)
    except Exception as exc:  # noqa: BLE001 - missing files, unknown model type: all mean "not loadable"
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        errors.append(f"{loader.__name__}: {type(exc).__name__}: {first_line}")
        return None


def _first_loadable(
    name_or_path: str, errors: list[str], prompt_builder: PromptBuilder | None, **kwargs: Any
) -> TokenCounter | None:
    from transformers import AutoProcessor, AutoTokenizer

    for loader in (AutoProcessor, AutoTokenizer):
        obj = _load(loader, name_or_path, errors, **kwargs)
        if obj is None:
            continue
        try:
            return TokenCounter(obj, name=name_or_path, prompt_builder=prompt_builder)
        except TypeError as exc:  # AutoProcessor may hand back a bare image processor
            errors.append(f"{loader.__name__}: {exc}")
    return None


def load_token_counter(
    name_or_path: str, *, prompt_builder: PromptBuilder | None = None
) -> tuple[TokenCounter | None, str | None]:
    """Load a processor (or, failing that, a tokenizer) by local path or hub id; (None, why) if neither loads.

    A hub id is tried from the local cache first and downloaded only if the hub answers. EDA must not die
    because a tokenizer is offline: the caller reports the reason and carries on with character statistics.
    """
    from pathlib import Path

    errors: list[str] = []
    local = Path(name_or_path).expanduser().exists()
    if not local and not _HUB_ID.match(name_or_path):
        return None, f"could not load a tokenizer from {name_or_path!r}: no such file or folder"
    counter = _first_loadable(name_or_path, errors, prompt_builder, local_files_only=not local)
    if counter is None and not local:
        why = _hub_unreachable(name_or_path)
        if why is not None:
            return None, f"could not load a tokenizer from {name_or_path!r}: {why}"
        counter = _first_loadable(name_or_path, errors, prompt_builder)
    if counter is None:
        return None, f"could not load a tokenizer from {name_or_path!r} ({'; '.join(errors)})"
    return counter, None


TINY_TOKENIZER = "tiny"


def resolve_token_counter(spec: str | None = TINY_TOKENIZER, *, prompt: Any = None) -> tuple[Any, str | None]:
    """(TokenCounter or None, why not) for a tokenizer reference: "tiny" = the offline tiny VLM, else a hub id
    or path. Prompts are built with the run's prompt (`harness.data.prompt`) inside the model's chat template,
    so the counts are the context the model will actually get. Never raises: a tokenizer that cannot load
    costs the token tables, not the analysis."""
    import dataclasses

    from harness.data import prompt_spec

    if spec is None:
        return None, "disabled with --no-tokens"
    chosen = prompt_spec(prompt)
    path = spec
    if spec == TINY_TOKENIZER:
        try:
            from harness.models import resolve_model_reference

            path = resolve_model_reference(TINY_TOKENIZER, warmup_steps=0, prompt=chosen).path
        except Exception as exc:  # noqa: BLE001 - any build failure only costs the token tables
            return None, f"could not build the offline tiny model's tokenizer: {type(exc).__name__}: {exc}"
    counter, why = load_token_counter(path, prompt_builder=chosen.placeholder_text)
    if counter is not None and spec == TINY_TOKENIZER:
        counter.info = dataclasses.replace(counter.info, name=f"tiny VLM ({path})")
    return counter, why
