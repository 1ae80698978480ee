"""`python -m harness.training --config X.yaml`: the entry point for `accelerate launch` (multi-GPU/DeepSpeed)."""

from harness.commands.train import train_cmd

if __name__ == "__main__":
    import typer

    typer.run(train_cmd)
