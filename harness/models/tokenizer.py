"""A small byte-level BPE tokenizer with SmolVLM's special tokens, trained locally (no hub download).

Byte-level BPE can encode any text, so a small vocabulary trained on the sample's questions and answers is
enough for a demo model; the special tokens are the ones `Idefics3Processor` looks up by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

BOS_TOKEN = "<|im_start|>"
PAD_TOKEN = "<|im_end|>"
UNK_TOKEN = "<|endoftext|>"
END_OF_UTTERANCE = "<end_of_utterance>"
FAKE_IMAGE_TOKEN = "<fake_token_around_image>"
IMAGE_TOKEN = "<image>"
GLOBAL_IMAGE_TOKEN = "<global-img>"
# The processor names tiles `<row_r_col_c>` for r, c in 1..6 and expects each to be a single token.
TILE_TOKENS = tuple(f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7))
SPECIAL_TOKENS = (
    UNK_TOKEN,
    BOS_TOKEN,
    PAD_TOKEN,
    END_OF_UTTERANCE,
    FAKE_IMAGE_TOKEN,
    IMAGE_TOKEN,
    GLOBAL_IMAGE_TOKEN,
) + TILE_TOKENS

# Extra training text so answer formatting is cheap to emit even where the sample rarely shows it.
FORMAT_VOCABULARY = (
    "User: Assistant: The final answer is \\boxed{42}.",
    "\\boxed{ \\frac{1}{2} } \\frac{3}{4} \\sqrt{2} \\pi \\cdot \\times \\left( \\right) \\infty",
    "\\alpha \\beta \\gamma \\theta \\lambda \\mu \\sigma \\omega \\Delta \\le \\ge \\neq \\approx",
    "\\text{ } \\mathrm{ } ^{2} _{1} = + - , . ( ) [ ] 0 1 2 3 4 5 6 7 8 9 10 100 %",
)


def _corpus(texts: Iterable[str]) -> Iterator[str]:
    yield from FORMAT_VOCABULARY
    for text in texts:
        if text:
            yield text


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = 2048, *, model_max_length: int = 8192
) -> PreTrainedTokenizerFast:
    """Train byte-level BPE on `texts` and wrap it as a transformers fast tokenizer with SmolVLM's tokens."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(texts), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS_TOKEN,
        eos_token=END_OF_UTTERANCE,
        pad_token=PAD_TOKEN,
        unk_token=UNK_TOKEN,
        additional_special_tokens=[FAKE_IMAGE_TOKEN, IMAGE_TOKEN, GLOBAL_IMAGE_TOKEN, *TILE_TOKENS],
        model_max_length=model_max_length,
        padding_side="left",
    )
