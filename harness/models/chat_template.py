"""SmolVLM's chat format, so the tiny model is prompted exactly like a real SmolVLM checkpoint.

Renders `<|im_start|>User:<image>question<end_of_utterance>\\nAssistant:`. Unlike the hub template it also
accepts plain-string message content (some callers, e.g. system prompts, send strings).
"""

SMOLVLM_CHAT_TEMPLATE = (
    "<|im_start|>"
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}"
    "{{ ': ' + message['content'] }}"
    "{% else %}"
    "{% if message['content'] and message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for line in message['content'] %}"
    "{% if line['type'] == 'text' %}{{ line['text'] }}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "<end_of_utterance>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def user_content(text: str, placeholder: str = "<image>") -> list[dict[str, str]]:
    """Typed content blocks for a prompt with `<image>` placeholders, split the way lm-eval's hf-multimodal does."""
    parts = text.split(placeholder)
    content: list[dict[str, str]] = []
    for index, part in enumerate(parts):
        if part:
            content.append({"type": "text", "text": part})
        if index < len(parts) - 1:
            content.append({"type": "image"})
    return content
