"""CLI command modules; every module here exposes `register(app: typer.Typer)`."""
