"""What a person watching GRPO sees: one progress bar with a few live figures, instead of TRL's raw log dicts.

transformers prints every `logs` dict (`PrinterCallback` with `disable_tqdm`, or `ProgressCallback`'s
`tqdm.write`): with GRPO that is one dict of up to ~1,500 characters per step, 60 of them in the demo. The
figures that tell whether training works are few: the reward, the accuracy reward, the loss and the step time.
Everything stays in MLflow; `mmrl -v ...` restores the raw dicts for debugging.
"""

from __future__ import annotations

import sys
from typing import Any

from transformers import TrainerCallback

#: (label on the bar, key in TRL's logs) — shown when present
LIVE_FIGURES = (
    ("reward", "reward"),
    ("acc", "rewards/accuracy/mean"),
    ("loss", "loss"),
    ("s/step", "step_time"),
)


def live_figures(logs: dict[str, Any]) -> dict[str, str]:
    """The bar's postfix for one `logs` dict: short labels, 3 significant digits, missing figures left out."""
    out = {}
    for label, key in LIVE_FIGURES:
        value = logs.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[label] = f"{value:.3g}"
    return out


class GRPOProgressCallback(TrainerCallback):
    """A tqdm bar over the optimisation steps (main process only), its postfix updated from each log."""

    def __init__(self, file: Any = None) -> None:
        self.file = file
        self.bar: Any = None

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        from tqdm.auto import tqdm

        self.bar = tqdm(total=state.max_steps or None, initial=state.global_step, desc="GRPO", unit="step",
                        file=self.file or sys.stderr, dynamic_ncols=True, leave=True)

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs:
            figures = live_figures(logs)
            if figures:
                self.bar.set_postfix(figures, refresh=True)

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def use_progress_bar(trainer: Any, *, raw_logs: bool) -> None:
    """Replace transformers' log printers on `trainer` with `GRPOProgressCallback`, unless `raw_logs`."""
    if raw_logs:
        return
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(GRPOProgressCallback())
