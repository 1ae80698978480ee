"""Small constructed datasets in the exact Open-MM-RL schema, for tests that need known contents."""

from __future__ import annotations

import io

import datasets
from datasets import Features, List, Value
from datasets import Image as HFImage
from PIL import Image

OPEN_MM_RL_FEATURES = Features(
    {
        "conversation_id": Value("string"),
        "domain": Value("string"),
        "subDomain": Value("string"),
        "author_id": Value("string"),
        "question": Value("string"),
        "answer": Value("string"),
        "format": Value("string"),
        "images": List(HFImage()),
    }
)


def encoded_image(color: tuple[int, int, int], size: tuple[int, int] = (16, 12), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


def image_dict(color: tuple[int, int, int], **kw) -> dict:
    return {"bytes": encoded_image(color, **kw), "path": None}


def open_mm_rl_rows(n: int = 8) -> dict[str, list]:
    domains = ["Math", "Physics", "Chemistry", "Biology"]
    rows: dict[str, list] = {name: [] for name in OPEN_MM_RL_FEATURES}
    for i in range(n):
        n_images = 1 + i % 3
        rows["conversation_id"].append(f"conv-{i:03d}")
        rows["domain"].append(domains[i % 4])
        rows["subDomain"].append(["Combinatorics ", " Optics", "Organic Chemistry", "Neurobiology"][i % 4])
        rows["author_id"].append(f"author-{i % 2}")
        rows["question"].append(f"Question {i}: what is shown?")
        rows["answer"].append(["\\[12\\]", "\\[-\\frac{71}{4} \\]", "Anterior", "\r\n\\[7396\\pi\\]\r\n"][i % 4])
        rows["format"].append(["Single image", "multi_image", "multi_panel"][i % 3])
        rows["images"].append(
            [image_dict((40 * i % 256, 10 * j + 20, 200), fmt="PNG" if j % 2 == 0 else "JPEG") for j in range(n_images)]
        )
    return rows


def open_mm_rl_dataset(n: int = 8) -> datasets.Dataset:
    return datasets.Dataset.from_dict(open_mm_rl_rows(n), features=OPEN_MM_RL_FEATURES)
